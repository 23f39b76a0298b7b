import { useEffect, useState } from "preact/hooks";
import { api, type IncidentSummary } from "../api";
import { getCalendars } from "../catalog";
import { fmtDuration, t, tv } from "../i18n";
import { ErrorAlert, Link, Loading, PageTitle, useLoad } from "../ui";
import { Deadline } from "./new-incident";

export type Urgency = "breached" | "warning" | "on_track";

/** Breached once the deadline has passed (or the sweep said so); Warning past first_response_warn_at. */
export function urgency(i: IncidentSummary, now: number): Urgency {
  if (i.sla === "breached" || Date.parse(i.first_response_due_at) <= now) return "breached";
  if (i.first_response_warn_at && Date.parse(i.first_response_warn_at) <= now) return "warning";
  return "on_track";
}

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function QueuePage() {
  const queue = useLoad(() => api.queue(), []);
  const calendars = useLoad(getCalendars, []);
  const now = useNow(1000);
  // New incidents arrive without a push channel: look again every 30 s.
  useEffect(() => {
    const timer = setInterval(queue.reload, 30000);
    return () => clearInterval(timer);
  }, []);
  const items = queue.data?.items ?? [];
  return (
    <section>
      <PageTitle>{t("queue.title")}</PageTitle>
      <p class="muted">{t("queue.intro")}</p>
      <button type="button" onClick={queue.reload}>
        {t("app.refresh")}
      </button>
      {queue.loading && !queue.data && <Loading />}
      <ErrorAlert error={queue.error} onRetry={queue.reload} />
      {queue.data && items.length === 0 && <p>{t("queue.empty")}</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="queue">
            <caption class="sr-only">{t("queue.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.colTitle")}</th>
                <th scope="col">{t("sev.label")}</th>
                <th scope="col">{t("queue.colCalendar")}</th>
                <th scope="col">{t("queue.colDeadline")}</th>
                <th scope="col">{t("queue.colLeft")}</th>
                <th scope="col">{t("queue.colState")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => {
                const u = urgency(i, now);
                const left = Date.parse(i.first_response_due_at) - now;
                return (
                  <tr key={i.incident_id} class={`row-${u}`}>
                    <td>
                      <Link href={`/incidents/${encodeURIComponent(i.incident_id)}`}>{i.title}</Link>
                    </td>
                    <td>{tv("sev", i.severity)}</td>
                    <td>{i.calendar}</td>
                    <td>
                      <Deadline at={i.first_response_due_at} calendar={i.calendar} calendars={calendars.data} />
                    </td>
                    <td>
                      <span class="countdown" role="timer" aria-live="off">
                        {left >= 0 ? t("queue.left", { time: fmtDuration(left) }) : t("queue.over", { time: fmtDuration(left) })}
                      </span>
                    </td>
                    <td>
                      <span class={`badge badge-${u}`}>
                        {u === "breached" ? t("queue.breached") : u === "warning" ? t("queue.warning") : t("queue.onTrack")}
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
