import { signal, useComputed } from "@preact/signals";
import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Calendar, type IncidentSummary, type Page, type QueueOwner } from "../api";
import { session } from "../auth";
import { getCalendars } from "../catalog";
import { fmtDuration, t, tv } from "../i18n";
import { OwnerName } from "../incident-list";
import { ErrorAlert, Field, Link, Loading, Notice, PageTitle, useAction, useLoad, TableBox } from "../ui";
import { Deadline } from "../components/deadline";

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

interface RowProps {
  i: IncidentSummary;
  calendars: Calendar[] | null;
  /** A take is under way (every row's Take button waits for it). */
  busy: boolean;
  onTake: (i: IncidentSummary) => void;
}

/** A row re-renders only when its urgency changes, not on every tick. */
function QueueRow(props: RowProps) {
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
      <td data-owner-of={i.incident_id} tabIndex={-1}>
        {i.owner ? (
          <OwnerName incident={i} />
        ) : (
          <div class="owner-cell">
            <OwnerName incident={i} />
            <button type="button" disabled={props.busy} onClick={() => props.onTake(i)}>
              {t("owner.take")}
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}

/** When each row of the queue was asked for (the start of the request that brought it). */
const askedAt = new WeakMap<IncidentSummary, number>();

/** Reads a page of the queue, noting when it was asked for. */
async function read(page: () => Promise<Page<IncidentSummary>>): Promise<Page<IncidentSummary>> {
  const at = Date.now();
  const got = await page();
  for (const i of got.items) askedAt.set(i, at);
  return got;
}

/** A take this page made: who owns the incident since `at`. */
interface Take {
  owner: IncidentSummary["owner"];
  at: number;
}

/** The row as it stands: a read asked before the take answered yields to the take. One object
 * per (row, take), so an unchanged row is not rendered again. */
const patched = new WeakMap<IncidentSummary, { take: Take; row: IncidentSummary }>();
function withTake(i: IncidentSummary, take: Take | undefined): IncidentSummary {
  if (!take || (askedAt.get(i) ?? 0) >= take.at) return i;
  const known = patched.get(i);
  if (known?.take === take) return known.row;
  const row = { ...i, owner: take.owner };
  patched.set(i, { take, row });
  return row;
}

/** Rows of the queue's first page: more than a screen shows. */
const FIRST_PAGE = 25;

/** Re-renders its row only when the row's incident or the calendars change: a page of the queue
 * arriving renders its own rows, not every row again. */
class RowGate extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps) {
    return next.i !== this.props.i || next.calendars !== this.props.calendars || next.busy !== this.props.busy;
  }
  render() {
    return <QueueRow {...this.props} />;
  }
}

const OWNERS: readonly QueueOwner[] = ["any", "me", "none"];
const ownerWords: Record<QueueOwner, () => string> = { any: () => t("owner.anyone"), me: () => t("owner.me"), none: () => t("owner.none") };

export function QueuePage() {
  const [owner, setOwner] = useState<QueueOwner>("any");
  // The first screenful at once (a small page is a quick one), the rest a page of 100 at a time.
  const queue = useLoad(() => read(() => api.queue(owner, null, FIRST_PAGE)), [owner]);
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
          const page = await read(() => api.queue(owner, cursor));
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
  }, [queue.data?.next_cursor]);
  // New incidents arrive without a push channel: look again every 30 s.
  useEffect(() => {
    const timer = setInterval(queue.reload, 30000);
    return () => clearInterval(timer);
  }, []);
  // Takes made on this page, by incident: a row read before the take answered shows its owner
  // (a page of the queue in flight, or the 30-second look, must not bring Take back).
  const [takes, setTakes] = useState<ReadonlyMap<string, Take>>(new Map());
  const seen = new Set<string>();
  const items = [...(queue.data?.items ?? []), ...more.items]
    .filter((i) => !seen.has(i.incident_id) && seen.add(i.incident_id))
    .map((i) => withTake(i, takes.get(i.incident_id)));
  const take = useAction();
  const [said, setSaid] = useState<string | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const table = useRef<HTMLDivElement>(null);
  // After a take, focus goes to its result: the row's Owner cell, now naming the caller.
  useEffect(() => {
    if (taken) table.current?.querySelector<HTMLElement>(`[data-owner-of="${CSS.escape(taken)}"]`)?.focus();
  }, [taken, queue.data, more.items]);
  const takeRow = (i: IncidentSummary) => {
    setSaid(null);
    setTaken(null);
    void take.run(async () => {
      try {
        const now = await api.assign(i.incident_id, { owner_account_id: session.value?.sub ?? "" });
        const done: Take = { owner: now.owner ?? null, at: Date.now() };
        setTakes((m) => new Map(m).set(now.incident_id, done));
        setSaid(t("owner.takenRow", { title: i.title }));
        setTaken(i.incident_id);
      } catch (e) {
        // Someone else was quicker: say so and show who.
        if (e instanceof ApiError && e.code === "invalid_state") {
          setSaid(null);
          queue.reload();
          throw new Error(t("owner.lostRaceRow", { title: i.title }));
        }
        throw e;
      }
    });
  };
  // One function for every row, always the latest takeRow (a row re-renders only when its own
  // incident changes, so it must not keep an old closure).
  const latestTake = useRef(takeRow);
  latestTake.current = takeRow;
  const [onTake] = useState(() => (i: IncidentSummary) => latestTake.current(i));
  return (
    <section>
      <PageTitle>{t("queue.title")}</PageTitle>
      <p class="muted">{t("queue.intro")}</p>
      <button type="button" onClick={queue.reload}>
        {t("app.refresh")}
      </button>
      <div class="inline-form queue-filter">
        <Field label={t("owner.label")} kind="select" value={owner} onChange={(e) => setOwner(e.currentTarget.value as QueueOwner)}>
          {OWNERS.map((o) => (
            <option key={o} value={o}>
              {ownerWords[o]()}
            </option>
          ))}
        </Field>
      </div>
      {take.error instanceof Error && !(take.error instanceof ApiError) ? (
        <p role="alert" class="alert">
          {take.error.message}
        </p>
      ) : (
        <ErrorAlert error={take.error} />
      )}
      {said && <Notice>{said}</Notice>}
      {queue.loading && !queue.data && <Loading />}
      <ErrorAlert error={queue.error ?? more.error} onRetry={queue.reload} />
      {queue.data && items.length === 0 && <p>{t("queue.empty")}</p>}
      {items.length > 0 && (
        <TableBox label={t("queue.title")} boxRef={table}>
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
                <th scope="col">{t("owner.label")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <RowGate key={i.incident_id} i={i} calendars={calendars.data} busy={take.busy} onTake={onTake} />
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}
