import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type IncidentSummary, type QueueOwner } from "../api";
import { session } from "../auth";
import { getCalendars } from "../catalog";
import { fmtDuration, t, tv } from "../i18n";
import { OwnerName } from "../incident-list";
import { ErrorAlert, Field, Link, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";
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

const OWNERS: readonly QueueOwner[] = ["any", "me", "none"];
const ownerWords: Record<QueueOwner, () => string> = { any: () => t("owner.anyone"), me: () => t("owner.me"), none: () => t("owner.none") };

export function QueuePage() {
  const [owner, setOwner] = useState<QueueOwner>("any");
  const queue = useLoad(() => api.queue(owner), [owner]);
  const take = useAction();
  const [said, setSaid] = useState<string | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const table = useRef<HTMLDivElement>(null);
  // After a take, focus goes to its result: the row's Owner cell, now naming the caller.
  useEffect(() => {
    if (taken) table.current?.querySelector<HTMLElement>(`[data-owner-of="${CSS.escape(taken)}"]`)?.focus();
  }, [taken, queue.data]);
  const takeRow = (i: IncidentSummary) => {
    setSaid(null);
    setTaken(null);
    void take.run(async () => {
      try {
        const now = await api.assign(i.incident_id, { owner_account_id: session.value?.sub ?? "" });
        if (queue.data) queue.set({ ...queue.data, items: queue.data.items.map((x) => (x.incident_id === now.incident_id ? { ...x, owner: now.owner } : x)) });
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
      <ErrorAlert error={queue.error} onRetry={queue.reload} />
      {queue.data && items.length === 0 && <p>{t("queue.empty")}</p>}
      {items.length > 0 && (
        <div class="table-wrap" ref={table}>
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
                    <td data-owner-of={i.incident_id} tabIndex={-1}>
                      {i.owner ? (
                        <OwnerName incident={i} />
                      ) : (
                        <div class="owner-cell">
                          <OwnerName incident={i} />
                          <button type="button" disabled={take.busy} onClick={() => takeRow(i)}>
                            {t("owner.take")}
                          </button>
                        </div>
                      )}
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
