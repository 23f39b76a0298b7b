import { api } from "../api";
import { t } from "../i18n";
import { PagedIncidents, usePagedIncidents } from "../incident-list";
import { PageTitle } from "../ui";

/** Admins: incidents the customer closed early whose unit waits for Consume unit or Refund unit. */
export function ChargesPage() {
  const list = usePagedIncidents((cursor) => api.incidents(cursor, { charge: "pending" }), []);
  return (
    <section>
      <PageTitle>{t("charges.title")}</PageTitle>
      <p class="muted">{t("charges.intro")}</p>
      <button type="button" onClick={list.first.reload}>
        {t("app.refresh")}
      </button>
      <PagedIncidents list={list} caption={t("charges.title")} empty={t("charges.empty")} owner />
    </section>
  );
}
