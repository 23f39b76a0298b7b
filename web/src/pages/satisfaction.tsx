import { api } from "../api";
import { fmtMonth, fmtPercent, t } from "../i18n";
import { ErrorAlert, Loading, useLoad, TableBox } from "../ui";

/** Satisfaction per month, severity and engineer (the Reports page, support-admins). */
export function Satisfaction(props: { from: string; to: string }) {
  const report = useLoad(() => api.satisfaction(props.from, props.to), [props.from, props.to]);
  const rows = report.data ?? [];
  const engineers = useLoad(() => api.engineers().catch(() => []), []);
  const names = new Map((engineers.data ?? []).map((x) => [x.account_id, x.display_name]));
  return (
    <section class="card" aria-labelledby="sat-h">
      <h2 id="sat-h">{t("sat.title")}</h2>
      {report.loading && !report.data && <Loading />}
      <ErrorAlert error={report.error} onRetry={report.reload} />
      {report.data && rows.length === 0 && <p>{t("sat.noData")}</p>}
      {rows.length > 0 && (
        <TableBox label={t("sat.table")}>
          <table>
            <caption>{t("sat.table")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("reports.month")}</th>
                <th scope="col">{t("sev.label")}</th>
                <th scope="col">{t("sat.engineer")}</th>
                <th scope="col">{t("sat.good")}</th>
                <th scope="col">{t("sat.bad")}</th>
                <th scope="col">{t("sat.score")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.month}-${r.severity}-${r.owner_account_id ?? "-"}`}>
                  <td>{fmtMonth(r.month)}</td>
                  <td>{r.severity}</td>
                  <td>{r.owner_account_id ? (names.get(r.owner_account_id) ?? t("ev.otherEngineer")) : t("sat.unowned")}</td>
                  <td>{r.good}</td>
                  <td>{r.bad}</td>
                  <td>{r.score === null ? "–" : fmtPercent(r.score)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}
