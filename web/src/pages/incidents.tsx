import { api } from "../api";
import { t } from "../i18n";
import { FindByNumber, PagedIncidents, usePagedIncidents } from "../incident-list";
import { Link, PageTitle } from "../ui";

/** The customer's incidents, newest first. */
export function IncidentsPage() {
  const list = usePagedIncidents((cursor) => api.incidents(cursor), []);
  return (
    <section>
      <PageTitle>{t("list.title")}</PageTitle>
      <p>
        <Link href="/incidents/new" class="button primary">
          {t("nav.newIncident")}
        </Link>
      </p>
      <FindByNumber />
      <PagedIncidents list={list} caption={t("list.title")} empty={t("list.empty")} />
    </section>
  );
}
