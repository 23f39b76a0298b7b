import { useState } from "preact/hooks";
import { api, type ReportRow } from "../api";
import { fmtInstant, fmtMonth, fmtPercent, t, tv } from "../i18n";
import { ErrorAlert, Field, Link, Loading, PageTitle, useLoad, TableBox } from "../ui";
import { Satisfaction } from "./satisfaction";
import { numberOf } from "../incident-state";

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

/** The share of first responses on time the desk aims for: the chart's target line. */
export const TARGET = 0.9;

/**
 * One bar per month with its share and its counts; a month without any incident due shows as
 * "no data", never as 0 %; the dashed line is the target.
 */
function Chart(props: { data: ReturnType<typeof byMonth> }) {
  const W = 720;
  const h = 170;
  const top = 34;
  const left = 44;
  // A bar is never wider than 64 units: one month is a bar, not a wall.
  const w = Math.min((W - left - 8) / Math.max(props.data.length, 1), 64);
  const y = (v: number) => top + h - v * h;
  return (
    <figure class="chart">
      <svg role="img" aria-labelledby="chart-t chart-d" viewBox={`0 0 ${W} ${top + h + 44}`}>
        <title id="chart-t">{t("reports.chart")}</title>
        <desc id="chart-d">{t("reports.chartDesc", { target: fmtPercent(TARGET) })}</desc>
        {[0, 0.5, 1].map((v) => (
          <g key={v}>
            <line x1={left - 4} x2={W} y1={y(v)} y2={y(v)} class="grid" />
            <text x={left - 8} y={y(v) + 4} text-anchor="end" class="axis">
              {fmtPercent(v)}
            </text>
          </g>
        ))}
        <rect x={left} y={4} width={12} height={12} class="nodata" />
        <text x={left + 18} y={14} class="axis">
          {t("reports.noDataLegend")}
        </text>
        <line x1={W - 150} x2={W - 122} y1={10} y2={10} class="target" />
        <text x={W - 116} y={14} class="axis target-label">
          {t("reports.target", { target: fmtPercent(TARGET) })}
        </text>
        {props.data.map((d, i) => {
          const x = left + i * w;
          const total = d.met + d.breached;
          return (
            <g key={d.month}>
              {d.achievement === null ? (
                <>
                  <rect x={x + 6} y={top} width={w - 12} height={h} class="nodata">
                    <title>{`${fmtMonth(d.month)}: ${t("reports.noDataMonth")}`}</title>
                  </rect>
                </>
              ) : (
                <>
                  <rect x={x + 6} y={y(d.achievement)} width={w - 12} height={d.achievement * h} class={d.achievement >= TARGET ? "bar good" : "bar bad"}>
                    <title>{`${fmtMonth(d.month)}: ${fmtPercent(d.achievement)} (${t("reports.met")} ${d.met}, ${t("reports.breached")} ${d.breached})`}</title>
                  </rect>
                  <text x={x + w / 2} y={y(d.achievement) - 5} text-anchor="middle" class="axis value">
                    {fmtPercent(d.achievement)}
                  </text>
                </>
              )}
              <text x={x + w / 2} y={top + h + 16} text-anchor="middle" class="axis">
                {fmtMonth(d.month).replace(/\s*\d{4}\s*(r\.)?/, "")}
              </text>
              <text x={x + w / 2} y={top + h + 32} text-anchor="middle" class="axis count">
                {total > 0 ? `${d.met}/${total}` : "–"}
              </text>
            </g>
          );
        })}
        <line x1={left - 4} x2={left + w * props.data.length} y1={y(TARGET)} y2={y(TARGET)} class="target" />
      </svg>
      <figcaption class="muted">{t("reports.chartCaption", { target: fmtPercent(TARGET) })}</figcaption>
    </figure>
  );
}

/** The report as CSV (one line per month, calendar and severity, as the API counts them). */
export function reportCsv(rows: ReportRow[]): string {
  const head = ["month", "calendar", "severity", "met", "breached", "withdrawn", "achievement"];
  const lines = rows.map((r) => [r.month, r.calendar, r.severity, r.met, r.breached, r.withdrawn, r.achievement === null ? "" : r.achievement.toFixed(4)].join(","));
  return [head.join(","), ...lines].join("\r\n") + "\r\n";
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
              <Link href={`/incidents/${encodeURIComponent(b.incident_id)}`}>{numberOf(b) ?? b.incident_id}</Link>{" "}
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
        <TableBox label={t("reports.workload")}>
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
        </TableBox>
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
          <button type="button" onClick={() => download(`sla-${range.from}-${range.to}.csv`, reportCsv(rows))}>
            {t("reports.csv")}
          </button>
          {rows.length === 0 ? (
            <p>{t("reports.noData")}</p>
          ) : (
            <TableBox label={t("reports.table")}>
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
                      <td class="num">{r.met}</td>
                      <td class="num">{r.breached}</td>
                      <td class="num">{r.withdrawn}</td>
                      <td class="num">{r.achievement === null ? t("reports.noDataShort") : fmtPercent(r.achievement)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
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
