// Who owns an incident: the staff's Take, Assign to (with a Note) and Release on the incident page,
// and the `assigned` timeline entry in words.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Engineer, type Event, type Incident } from "./api";
import { isAdmin, isEngineer, session } from "./auth";
import { t } from "./i18n";
import { ErrorAlert, Field, useAction } from "./ui";

/** Account id → display name, from the engineers' registry, the owner and the events themselves. */
export function namesOf(incident: Incident, engineers: Engineer[] | null): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of incident.timeline ?? []) if (e.actor_display_name) names.set(e.actor_account_id, e.actor_display_name);
  for (const e of engineers ?? []) names.set(e.account_id, e.display_name);
  if (incident.owner) names.set(incident.owner.account_id, incident.owner.display_name);
  return names;
}

/** The `assigned` entry for staff: taken by, assigned to, handed over from … to …, released. */
export function assignedTitle(e: Event, names: Map<string, string>): string {
  const name = (id: string) => names.get(id) ?? t("ev.otherEngineer");
  const from = e.previous_owner_account_id ?? null;
  const to = e.owner_account_id ?? null;
  if (!to) return t("ev.assigned.released", { from: from ? name(from) : t("owner.none") });
  if (from) return t("ev.assigned.handed", { from: name(from), to: name(to) });
  return e.actor_account_id === to ? t("ev.assigned.taken", { to: name(to) }) : t("ev.assigned.given", { to: name(to) });
}

/** The same entry for the customer: only the engineer who owns the incident now is named. */
export function assignedForCustomer(e: Event, incident: Incident): string {
  const to = e.owner_account_id ?? null;
  if (!to) return t("ev.customer.released");
  if (incident.owner?.account_id === to) return t("ev.customer.owner", { name: incident.owner.display_name });
  return t("ev.customer.engineer");
}

type Kind = "take" | "assign" | "release";

/** A refusal in the words of what happened; the page is read again when ownership moved meanwhile. */
function refusal(e: unknown, kind: Kind): string | null {
  if (!(e instanceof ApiError)) return null;
  if (e.code === "invalid_state" && kind === "take") return t("owner.lostRace");
  if (e.code === "forbidden") return t("owner.forbidden");
  return null;
}

export function OwnershipCard(props: { incident: Incident; engineers: Engineer[] | null; after: (i?: Incident) => void }) {
  const inc = props.incident;
  const s = session.value;
  const me = s?.sub ?? "";
  const owner = inc.owner;
  const mine = owner?.account_id === me;
  const admin = isAdmin(s);
  const canTake = isEngineer(s) && !owner;
  const canRelease = !!owner && (mine || admin);
  const canAssign = mine || admin;
  const action = useAction();
  const [kind, setKind] = useState<Kind>("take");
  const [assignee, setAssignee] = useState("");
  const [note, setNote] = useState("");
  const result = useRef<HTMLParagraphElement>(null);
  // After an action, focus goes to what it did (or why it did not).
  useEffect(() => {
    if (action.done || action.error) result.current?.focus();
  }, [action.done, action.error]);

  const run = (k: Kind, ownerId: string | null, done: () => string, noteText: string | null = null) => {
    setKind(k);
    void action
      .run(async () => {
        try {
          props.after(await api.assign(inc.incident_id, { owner_account_id: ownerId, ...(noteText ? { note: noteText } : {}) }));
        } catch (e) {
          // Someone else moved it meanwhile (or closed it): show the incident as it now stands.
          if (e instanceof ApiError && (e.code === "invalid_state" || e.code === "forbidden")) props.after();
          throw e;
        }
      }, done())
      .then((ok) => {
        if (ok && k === "assign") {
          setAssignee("");
          setNote("");
        }
      });
  };
  const nameOf = (id: string) => props.engineers?.find((x) => x.account_id === id)?.display_name ?? t("ev.otherEngineer");
  const candidates = (props.engineers ?? []).filter((x) => x.account_id !== owner?.account_id);
  const said = action.error ? refusal(action.error, kind) : null;

  return (
    <section class="card ownership" aria-labelledby="own-h">
      <h2 id="own-h">{t("owner.title")}</h2>
      <p>{mine ? t("owner.mine") : owner ? t("owner.theirs", { name: owner.display_name }) : t("owner.unowned")}</p>
      {(canTake || canRelease) && (
        <div class="buttons">
          {canTake && (
            <button type="button" class="primary" disabled={action.busy} onClick={() => run("take", me, () => t("owner.taken"))}>
              {t("owner.take")}
            </button>
          )}
          {canRelease && (
            <button type="button" disabled={action.busy} onClick={() => run("release", null, () => t("owner.released"))}>
              {t("owner.release")}
            </button>
          )}
        </div>
      )}
      {canAssign && (
        <form
          class="action-form"
          onSubmit={(e) => {
            e.preventDefault();
            const to = assignee;
            run("assign", to, () => t("owner.assigned", { name: nameOf(to) }), note.trim() || null);
          }}
        >
          <Field label={t("owner.assignTo")} kind="select" required value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
            <option value="">{t("owner.choose")}</option>
            {candidates.map((x) => (
              <option key={x.account_id} value={x.account_id}>
                {x.account_id === me ? t("owner.you", { name: x.display_name }) : x.display_name}
              </option>
            ))}
          </Field>
          <Field label={t("owner.note")} kind="textarea" rows={2} maxLength={2000} hint={t("owner.noteHint")} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={action.busy}>
            {t("owner.assign")}
          </button>
        </form>
      )}
      {said ? (
        <p role="alert" class="alert" tabIndex={-1} ref={result}>
          {said}
        </p>
      ) : (
        action.error !== null && (
          <div tabIndex={-1} ref={result}>
            <ErrorAlert error={action.error} />
          </div>
        )
      )}
      {action.done && (
        <p role="status" class="notice" tabIndex={-1} ref={result}>
          {action.done}
        </p>
      )}
    </section>
  );
}
