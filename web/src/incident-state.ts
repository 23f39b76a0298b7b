// What the incident page may offer: the incident's state and the viewer's role decide, so nothing
// is offered that the API would refuse (a closed incident, a decided or withdrawn proposal).
import type { Event, Incident, IncidentSummary } from "./api";

const OPEN = new Set<string>(["awaiting_response", "in_progress"]);

export const isOpen = (i: IncidentSummary) => OPEN.has(i.status);

/** An event's kind as a string: kinds newer than the generated types are compared safely. */
export const kindOf = (e: Event): string => e.kind;

/** The short incident number people type and read (API.md v3), when the API gives it. */
export const numberOf = (i: object): string | null => {
  const n = (i as { number?: unknown }).number;
  return typeof n === "string" && n !== "" ? n : null;
};

/** Sub-problem proposals still awaiting the customer's decision (none once the incident closed). */
export function pendingSubProblems(inc: Incident): Event[] {
  if (!isOpen(inc)) return [];
  const timeline = inc.timeline ?? [];
  const settled = new Set(
    timeline
      .filter((e) => ["sub_problem_accepted", "sub_problem_declined", "sub_problem_withdrawn"].includes(kindOf(e)))
      .map((e) => e.proposal_id),
  );
  return timeline.filter((e) => e.kind === "sub_problem_proposed" && e.proposal_id && !settled.has(e.proposal_id));
}

/** A scope proposal the customer may still accept or reject. */
export const scopeAwaiting = (inc: Incident): boolean => isOpen(inc) && inc.scope?.status === "proposed";

/** How many proposals a closure would withdraw. */
export const awaitingCustomer = (inc: Incident): number => (scopeAwaiting(inc) ? 1 : 0) + pendingSubProblems(inc).length;

export type EngineerAction = "respond" | "scope" | "sub" | "resolve" | "unresolved";

/**
 * The engineer's actions on an open incident, the next expected one first: the first response,
 * then a scope to agree, then the resolution. Propose scope is left out while a proposal awaits
 * the customer or once the scope is agreed (the API refuses a second agreed scope).
 */
export function engineerActions(inc: Incident): EngineerAction[] {
  if (!isOpen(inc)) return [];
  const scope = inc.scope?.status ?? null;
  const canScope = scope === null || scope === "rejected";
  let next: EngineerAction;
  if (inc.status === "awaiting_response") next = "respond";
  else if (canScope) next = "scope";
  else if (scope === "accepted") next = "resolve";
  else next = "respond";
  const all: EngineerAction[] = ["respond", ...(canScope ? (["scope"] as const) : []), "sub", "resolve", "unresolved"];
  return [next, ...all.filter((a) => a !== next)];
}
