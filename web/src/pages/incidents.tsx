import { useState } from "preact/hooks";
import { api, type IncidentSummary } from "../api";
import { getCalendars } from "../catalog";
import { t, tv } from "../i18n";
import { ErrorAlert, Link, Loading, PageTitle, Status, useAction, useLoad } from "../ui";
import { Deadline } from "./new-incident";

export function IncidentsPage() {
  const first = useLoad(() => api.incidents(), []);
  const calendars = useLoad(getCalendars, []);
  const [more, setMore] = useState<{ items: IncidentSummary[]; cursor: string | null } | null>(null);
  const action = useAction();
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (first.data?.next_cursor ?? null);
  return (
    <section>
      <PageTitle>{t("list.title")}</PageTitle>
      <p>
        <Link href="/incidents/new" class="button primary">
          {t("nav.newIncident")}
        </Link>
      </p>
      {first.loading && !first.data && <Loading />}
      <ErrorAlert error={first.error} onRetry={first.reload} />
      {first.data && items.length === 0 && <p>{t("list.empty")}</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{t("list.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.colTitle")}</th>
                <th scope="col">{t("sev.label")}</th>
                <th scope="col">{t("list.colStatus")}</th>
                <th scope="col">{t("list.colSla")}</th>
                <th scope="col">{t("list.colDue")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.incident_id}>
                  <td>
                    <Link href={`/incidents/${encodeURIComponent(i.incident_id)}`}>{i.title}</Link>
                  </td>
                  <td>{tv("sev", i.severity)}</td>
                  <td>
                    <Status prefix="status" value={i.status} />
                  </td>
                  <td>
                    <Status prefix="sla" value={i.sla} />
                  </td>
                  <td>
                    <Deadline at={i.first_response_due_at} calendar={i.calendar} calendars={calendars.data} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const page = await api.incidents(cursor);
              setMore({ items: [...(more?.items ?? []), ...page.items], cursor: page.next_cursor });
            })
          }
        >
          {t("list.more")}
        </button>
      )}
      <ErrorAlert error={action.error} />
    </section>
  );
}
