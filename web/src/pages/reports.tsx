import { useState } from "preact/hooks";
import { api, type ReportRow } from "../api";
import { fmtInstant, fmtMonth, fmtPercent, t, tv } from "../i18n";
import { ErrorAlert, Field, Link, Loading, PageTitle, useLoad } from "../ui";
import { Satisfaction } from "./satisfaction";

function monthOf(d: Date): string {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}
function addMonths(m: string, n: number): string {
  const [y, mo] = m.split("-").map(Number);
  return monthOf(new Date(Date.UTC(y ?? 2000, (mo ?? 1) - 1 + n, 1)));
}
function months(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to && out.length < 24; m = addMonths(m, 1)) out.push(m);
  return out;
}

/** Achievement per month over every calendar and severity: met ÷ (met + breached). */
export function byMonth(rows: ReportRow[], list: string[]): { month: string; met: number; breached: number; achievement: number | null }[] {
  return list.map((month) => {
    const r = rows.filter((x) => x.month === month);
    const met = r.reduce((a, x) => a + x.met, 0);
    const breached = r.reduce((a, x) => a + x.breached, 0);
    return { month, met, breached, achievement: met + breached > 0 ? met / (met + breached) : null };
  });
}

function Chart(props: { data: ReturnType<typeof byMonth> }) {
  const w = 48;
  const h = 160;
  const width = props.data.length * w + 40;
  return (
    <figure class="chart">
      <svg role="img" aria-labelledby="chart-t chart-d" viewBox={`0 0 ${width} ${h + 40}`} width={width} height={h + 40} style={{ maxWidth: "100%", height: "auto" }}>
        <title id="chart-t">{t("reports.chart")}</title>
        <desc id="chart-d">{t("reports.chartDesc")}</desc>
        {[0, 0.5, 1].map((y) => (
          <g key={y}>
            <line x1="34" x2={width} y1={10 + h - y * h} y2={10 + h - y * h} class="grid" />
            <text x="30" y={14 + h - y * h} text-anchor="end" class="axis">
              {fmtPercent(y)}
            </text>
          </g>
        ))}
        {props.data.map((d, i) => {
          const x = 40 + i * w;
          const bh = (d.achievement ?? 0) * h;
          return (
            <g key={d.month}>
              {d.achievement !== null && (
                <rect x={x + 6} y={10 + h - bh} width={w - 12} height={bh} class={d.achievement >= 0.9 ? "bar good" : "bar bad"}>
                  <title>{`${fmtMonth(d.month)}: ${fmtPercent(d.achievement)} (${t("reports.met")} ${d.met}, ${t("reports.breached")} ${d.breached})`}</title>
                </rect>
              )}
              <text x={x + w / 2} y={h + 30} text-anchor="middle" class="axis">
                {fmtMonth(d.month).replace(/\s*\d{4}\s*(r\.)?/, "")}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function Breaches(props: { month: string }) {
  const list = useLoad(() => api.breaches(props.month), [props.month]);
  return (
    <section aria-labelledby="br-h" class="card">
      <h2 id="br-h">{t("reports.breaches", { month: fmtMonth(props.month) })}</h2>
      {list.loading && !list.data && <Loading />}
      <ErrorAlert error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <p>{t("reports.noBreaches")}</p>}
      {list.data && list.data.items.length > 0 && (
        <ul class="plain breaches">
          {list.data.items.map((b) => (
            <li key={b.incident_id}>
              <Link href={`/incidents/${encodeURIComponent(b.incident_id)}`}>{b.incident_id}</Link>{" "}
              <span class="muted">({t("reports.account", { id: b.account_id })})</span>
              {" – "}
              {t("reports.breachLine", {
                severity: tv("sev", b.severity),
                calendar: b.calendar,
                due: fmtInstant(b.first_response_due_at),
                answered: b.first_responded_at ? fmtInstant(b.first_responded_at) : t("reports.notAnswered"),
              })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Each engineer's open incidents (GET /engineers), busiest first; a name leads to that engineer's list. */
function Workload() {
  const list = useLoad(() => api.engineers(), []);
  const rows = [...(list.data ?? [])].sort((a, b) => b.open_incidents - a.open_incidents || a.display_name.localeCompare(b.display_name));
  return (
    <section class="card" aria-labelledby="load-h">
      <h2 id="load-h">{t("reports.workload")}</h2>
      {list.loading && !list.data && <Loading />}
      <ErrorAlert error={list.error} onRetry={list.reload} />
      {list.data && rows.length === 0 && <p>{t("reports.noEngineers")}</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="workload">
            <caption class="sr-only">{t("reports.workload")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("reports.engineer")}</th>
                <th scope="col">{t("reports.email")}</th>
                <th scope="col" class="num">
                  {t("reports.openIncidents")}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.account_id}>
                  <th scope="row">
                    <Link href={`/incidents?owner=${encodeURIComponent(e.account_id)}`}>{e.display_name}</Link>
                  </th>
                  <td>{e.email ?? "–"}</td>
                  <td class="num">{e.open_incidents}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function ReportsPage() {
  const now = monthOf(new Date());
  const [range, setRange] = useState({ from: addMonths(now, -11), to: now });
  const [draft, setDraft] = useState(range);
  const [month, setMonth] = useState(now);
  const report = useLoad(() => api.report(range.from, range.to), [range.from, range.to]);
  const list = months(range.from, range.to);
  // The API answers every month × calendar × severity, zeros included: the table lists those with incidents.
  const rows = [...(report.data ?? [])].filter((r) => r.met + r.breached + r.withdrawn > 0).sort((a, b) =>
    a.month === b.month ? (a.calendar === b.calendar ? a.severity.localeCompare(b.severity) : a.calendar.localeCompare(b.calendar)) : a.month.localeCompare(b.month),
  );
  return (
    <section>
      <PageTitle>{t("reports.title")}</PageTitle>
      <form
        class="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setRange(draft);
        }}
      >
        <Field label={t("reports.from")} type="month" value={draft.from} required onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
        <Field label={t("reports.to")} type="month" value={draft.to} required onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
        <button type="submit" class="primary">
          {t("reports.show")}
        </button>
      </form>
      {report.loading && !report.data && <Loading />}
      <ErrorAlert error={report.error} onRetry={report.reload} />
      {report.data && (
        <section class="card" aria-labelledby="rep-h">
          <h2 id="rep-h">{t("reports.chart")}</h2>
          <Chart data={byMonth(report.data, list)} />
          {rows.length === 0 ? (
            <p>{t("reports.noData")}</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption>{t("reports.table")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("reports.month")}</th>
                    <th scope="col">{t("reports.calendar")}</th>
                    <th scope="col">{t("sev.label")}</th>
                    <th scope="col">{t("reports.met")}</th>
                    <th scope="col">{t("reports.breached")}</th>
                    <th scope="col">{t("reports.withdrawn")}</th>
                    <th scope="col">{t("reports.achievement")}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.month}-${r.calendar}-${r.severity}`}>
                      <td>{fmtMonth(r.month)}</td>
                      <td>{r.calendar}</td>
                      <td>{tv("sev", r.severity)}</td>
                      <td>{r.met}</td>
                      <td>{r.breached}</td>
                      <td>{r.withdrawn}</td>
                      <td>{r.achievement === null ? "–" : fmtPercent(r.achievement)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      <Workload />
      <Satisfaction from={range.from} to={range.to} />
      <div class="card inline-form">
        <Field label={t("reports.breachMonth")} kind="select" value={month} onChange={(e) => setMonth(e.currentTarget.value)}>
          {[...list].reverse().map((m) => (
            <option key={m} value={m}>
              {fmtMonth(m)}
            </option>
          ))}
        </Field>
      </div>
      <Breaches month={month} />
    </section>
  );
}
