import { signal, useComputed } from "@preact/signals";
import { Component } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Calendar, type IncidentSummary } from "../api";
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

/** The queue's clock: one timer for every countdown on the page, ticking while a queue is shown. */
const clock = signal(Date.now());
let clockUsers = 0;
let clockTimer: ReturnType<typeof setInterval> | undefined;
function useClock() {
  useEffect(() => {
    if (clockUsers++ === 0) {
      clock.value = Date.now();
      clockTimer = setInterval(() => (clock.value = Date.now()), 1000);
    }
    return () => {
      if (--clockUsers === 0) clearInterval(clockTimer);
    };
  }, []);
}

/** The time left, re-rendered alone every second (it reads the clock; its row does not). */
function Countdown(props: { due: string }) {
  const left = Date.parse(props.due) - clock.value;
  return (
    <span class="countdown" role="timer" aria-live="off">
      {left >= 0 ? t("queue.left", { time: fmtDuration(left) }) : t("queue.over", { time: fmtDuration(left) })}
    </span>
  );
}

/** A row re-renders only when its urgency changes, not on every tick. */
function QueueRow(props: { i: IncidentSummary; calendars: Calendar[] | null }) {
  const { i } = props;
  const u = useComputed(() => urgency(i, clock.value)).value;
  return (
    <tr class={`row-${u}`}>
      <td>
        <Link href={`/incidents/${encodeURIComponent(i.incident_id)}`}>{i.title}</Link>
      </td>
      <td>{tv("sev", i.severity)}</td>
      <td>{i.calendar}</td>
      <td>
        <Deadline at={i.first_response_due_at} calendar={i.calendar} calendars={props.calendars} />
      </td>
      <td>
        <Countdown due={i.first_response_due_at} />
      </td>
      <td>
        <span class={`badge badge-${u}`}>
          {u === "breached" ? t("queue.breached") : u === "warning" ? t("queue.warning") : t("queue.onTrack")}
        </span>
      </td>
    </tr>
  );
}

/** Rows of the queue's first page: more than a screen shows. */
const FIRST_PAGE = 25;

/** Re-renders its row only when the row's incident or the calendars change: a page of the queue
 * arriving renders its own rows, not every row again. */
class RowGate extends Component<{ i: IncidentSummary; calendars: Calendar[] | null }> {
  override shouldComponentUpdate(next: { i: IncidentSummary; calendars: Calendar[] | null }) {
    return next.i !== this.props.i || next.calendars !== this.props.calendars;
  }
  render() {
    return <QueueRow i={this.props.i} calendars={this.props.calendars} />;
  }
}

export function QueuePage() {
  // The first screenful at once (a small page is a quick one), the rest a page of 100 at a time.
  const queue = useLoad(() => api.queue(null, FIRST_PAGE), []);
  const calendars = useLoad(getCalendars, []);
  useClock();
  const [more, setMore] = useState<{ items: IncidentSummary[]; error: unknown }>({ items: [], error: null });
  useEffect(() => {
    const run = { live: true };
    const live = () => run.live;
    let cursor = queue.data?.next_cursor ?? null;
    const items: IncidentSummary[] = [];
    setMore({ items, error: null });
    void (async () => {
      try {
        while (live() && cursor) {
          const page = await api.queue(cursor);
          if (!live()) return;
          items.push(...page.items);
          setMore({ items: [...items], error: null });
          cursor = page.next_cursor ?? null;
        }
      } catch (error) {
        if (live()) setMore({ items: [...items], error });
      }
    })();
    return () => {
      run.live = false;
    };
  }, [queue.data]);
  // New incidents arrive without a push channel: look again every 30 s.
  useEffect(() => {
    const timer = setInterval(queue.reload, 30000);
    return () => clearInterval(timer);
  }, []);
  const seen = new Set<string>();
  const items = [...(queue.data?.items ?? []), ...more.items].filter((i) => !seen.has(i.incident_id) && seen.add(i.incident_id));
  return (
    <section>
      <PageTitle>{t("queue.title")}</PageTitle>
      <p class="muted">{t("queue.intro")}</p>
      <button type="button" onClick={queue.reload}>
        {t("app.refresh")}
      </button>
      {queue.loading && !queue.data && <Loading />}
      <ErrorAlert error={queue.error ?? more.error} onRetry={queue.reload} />
      {queue.data && items.length === 0 && <p>{t("queue.empty")}</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="queue">
            <caption class="sr-only">{t("queue.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.colTitle")}</th>
                <th scope="col">{t("list.colSeverity")}</th>
                <th scope="col">{t("queue.colCalendar")}</th>
                <th scope="col">{t("queue.colDeadline")}</th>
                <th scope="col">{t("queue.colLeft")}</th>
                <th scope="col">{t("queue.colState")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <RowGate key={i.incident_id} i={i} calendars={calendars.data} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
