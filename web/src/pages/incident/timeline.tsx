import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Event, type Incident } from "../../api";
import { session } from "../../auth";
import { has, t, tv, fmtInstant } from "../../i18n";
import { assignedForCustomer, assignedTitle } from "../../ownership";
import { ErrorAlert, Link, useAction } from "../../ui";
import { kindOf } from "../../incident-state";

/**
 * People by name: the viewer is "you", the customer's contact by name, staff by the name the API
 * gives (`actor_display_name`) or the engineers' registry; the customer sees only the owner's.
 */
function who(e: Event, incident: Incident, names: Map<string, string> | null): string {
  if (e.actor_account_id === "system") return t("ev.system");
  if (e.actor_account_id === session.value?.sub) return t("ev.you");
  if (e.actor_account_id === incident.account_id) return incident.contact.name;
  if (e.actor_display_name) return e.actor_display_name;
  if (names) return names.get(e.actor_account_id) ?? t("ev.otherEngineer");
  return incident.owner?.account_id === e.actor_account_id ? incident.owner.display_name : t("ev.support");
}

/** The title of a proposal named by its id, from the timeline. */
function proposalTitle(incident: Incident, id: string | undefined): string | null {
  return (incident.timeline ?? []).find((x) => x.kind === "sub_problem_proposed" && x.proposal_id === id)?.title ?? null;
}

/** names: for staff (every engineer by name); null for the customer. */
function EventItem(props: { e: Event; incident: Incident; names: Map<string, string> | null; focusRef?: { current: HTMLLIElement | null } }) {
  const e = props.e;
  const kind = kindOf(e);
  const internal = kind === "internal_note";
  let title: string;
  if (e.kind === "assigned" && !props.names) {
    // The customer: who handles the incident now, without the staff's notes or authors.
    return (
      <li class="event" tabIndex={-1} ref={props.focusRef}>
        <p class="event-head">
          <strong>{assignedForCustomer(e, props.incident)}</strong> <span class="muted">· </span>
          <time dateTime={e.at}>{fmtInstant(e.at)}</time>
        </p>
      </li>
    );
  }
  const sub = proposalTitle(props.incident, e.proposal_id) ?? e.title ?? "";
  switch (kind) {
    case "assigned":
      title = assignedTitle(e, props.names ?? new Map<string, string>());
      break;
    case "submitted":
      title = t("ev.submitted", { severity: tv("sev", e.severity ?? props.incident.severity) });
      break;
    case "response":
      title = t("ev.response", { channel: tv("channel", e.channel ?? "").toLocaleLowerCase() });
      break;
    case "sub_problem_proposed":
    case "sub_problem_accepted":
    case "sub_problem_declined":
    case "sub_problem_withdrawn":
      title = t(`ev.${kind}`, { title: sub });
      break;
    case "charge_decided":
      title = t("ev.charge_decided", { charge: tv("charge", e.charge ?? "") });
      break;
    case "attachment_added":
      title = t("ev.attachment_added", { name: e.file_name ?? "" });
      break;
    case "contact_bounced":
      title = t("ev.contact_bounced", { kind: tv("bounce", e.kind_of_failure ?? "") });
      break;
    case "customer_message":
      title = e.channel === "email" ? t("ev.customer_message_email") : t("ev.customer_message");
      break;
    case "rated":
      title = t("ev.rated", { score: tv("score", e.score ?? "") });
      break;
    default:
      title = has(`ev.${kind}`) ? tv("ev", kind) : t("ev.other", { kind });
  }
  const text = e.message ?? e.reason ?? e.explanation ?? e.comment ?? e.note ?? null;
  const child = e.kind === "sub_problem_accepted" ? (e.child_incident_id ?? null) : null;
  return (
    <li class={internal ? "event internal" : "event"} tabIndex={-1} ref={props.focusRef}>
      <p class="event-head">
        {internal && <span class="badge badge-internal">{t("note.badge")}</span>} <strong>{title}</strong>{" "}
        <span class="muted">· {t("ev.by", { who: who(e, props.incident, props.names) })} · </span>
        <time dateTime={e.at}>{fmtInstant(e.at)}</time>
      </p>
      {e.kind === "scope_proposed" && (
        <dl class="facts">
          <dt>{t("inc.problemStatement")}</dt>
          <dd class="pre">{e.problem_statement}</dd>
          <dt>{t("inc.resolutionCriteria")}</dt>
          <dd class="pre">{e.resolution_criteria}</dd>
        </dl>
      )}
      {e.kind === "sub_problem_proposed" && e.description && <p class="pre">{e.description}</p>}
      {e.kind === "resolved" && e.solutions && (
        <ul>
          {e.solutions.map((s) => (
            <li key={s} class="pre">
              {s}
            </li>
          ))}
        </ul>
      )}
      {text && <p class="pre">{text}</p>}
      {child && (
        <p>
          <Link href={`/incidents/${encodeURIComponent(child)}`}>{e.child_number ? `${t("ev.childLink")} ${e.child_number}` : t("ev.childLink")}</Link>
        </p>
      )}
    </li>
  );
}

/**
 * The timeline, oldest first, older pages on demand. `focusNew`: set by the page when an action
 * added an entry; the newest entry then takes the focus (the action's result).
 */
export function Timeline(props: { incident: Incident; names: Map<string, string> | null; focusNew: { current: boolean } }) {
  const inc = props.incident;
  const [extra, setExtra] = useState<{ items: Event[]; cursor: string | null } | null>(null);
  const action = useAction();
  const items = [...(inc.timeline ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (inc.timeline_next_cursor ?? null);
  const last = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (props.focusNew.current) {
      props.focusNew.current = false;
      last.current?.focus();
    }
  }, [inc]);
  return (
    <section aria-labelledby="tl-h" class="card">
      <h2 id="tl-h">{t("inc.timeline")}</h2>
      <ol class="timeline">
        {items.map((e, i) => (
          <EventItem key={`${e.at}-${i}`} e={e} incident={inc} names={props.names} {...(i === items.length - 1 ? { focusRef: last } : {})} />
        ))}
      </ol>
      {cursor && (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const page = await api.timeline(inc.incident_id, cursor);
              setExtra({ items: [...(extra?.items ?? []), ...page.items], cursor: page.next_cursor });
            })
          }
        >
          {t("inc.loadMore")}
        </button>
      )}
      <ErrorAlert error={action.error} focus />
    </section>
  );
}
