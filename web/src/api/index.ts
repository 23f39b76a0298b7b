import { call } from "./client";
import type {
  Account, Attachment, DataExport, ErasureRequest, AttachmentRequest, AuditEntry, Body, Breach, Calendar, DecidedCharge, Engineer, Event, Incident, IncidentStatus,
  IncidentSummary, Ok, Rated, RatingBody, SatisfactionLine, Severity, SlaOutcome,
  OfferQuote, Pack, PackClaim, Page, Product, ReportRow, SlaQuote, Submission, TaxExemptionItem, UploadTicket,
} from "./types";

export * from "./types";
export { ApiError, idempotencyKeys } from "./client";

const id = (incident_id: string) => ({ incident_id });

// Spec-bound shapes the console relies on (compile errors here mean openapi.yaml drifted).
type ClaimBody = Body<"/pack-claims", "post">;
type ResponseBody = Body<"/incidents/{incident_id}/responses", "post">;
type ScopeBody = Body<"/incidents/{incident_id}/scope", "post">;
type SubBody = Body<"/incidents/{incident_id}/sub-problems", "post">;
type ResolutionBody = Body<"/incidents/{incident_id}/resolution", "post">;
type TaxBody = Body<"/tax-exemptions", "post">;

/** Staff filters of GET /incidents, combinable; `owner`: `me`, `none` or an engineer's account id. */
export interface IncidentFilters {
  owner?: string;
  status?: IncidentStatus;
  severity?: Severity;
  sla?: SlaOutcome;
  open?: "true";
  /** Incidents whose charge awaits a decision (admins' Charges to decide). */
  charge?: "pending";
}
/** GET /queue's owner filter. */
export type QueueOwner = "any" | "me" | "none";
type AssignBody = Body<"/incidents/{incident_id}/assignment", "post">;

export const api = {
  products: () => call<Ok<"/products", "get">>("get", "/products").then((r): Product[] => r.items),
  calendars: () => call<Ok<"/calendars", "get">>("get", "/calendars").then((r): Calendar[] => r.items),
  quote: (severity: string, calendar: string) => call<SlaQuote>("get", "/sla/quote", { query: { severity, calendar } }),

  incidents: (cursor?: string | null, filters: IncidentFilters = {}) =>
    call<Page<IncidentSummary>>("get", "/incidents", { query: { ...filters, cursor, limit: 50 } }),
  incident: (incidentId: string) => call<Incident>("get", "/incidents/{incident_id}", { params: id(incidentId) }),
  /** By the short number people type (K7M-4QX9). */
  incidentByNumber: (number: string) => call<Incident>("get", "/incidents/by-number/{number}", { params: { number } }),
  timeline: (incidentId: string, cursor: string) =>
    call<Page<Event>>("get", "/incidents/{incident_id}/timeline", { params: id(incidentId), query: { cursor, limit: 100 } }),
  submit: (body: Submission, key: string) => call<Incident>("post", "/incidents", { body, idempotencyKey: key }),

  respond: (incidentId: string, body: ResponseBody) =>
    call<Event>("post", "/incidents/{incident_id}/responses", { params: id(incidentId), body }),
  message: (incidentId: string, message: string) =>
    call<Event>("post", "/incidents/{incident_id}/messages", { params: id(incidentId), body: { message } satisfies Body<"/incidents/{incident_id}/messages", "post"> }),
  proposeScope: (incidentId: string, body: ScopeBody) =>
    call<Incident>("post", "/incidents/{incident_id}/scope", { params: id(incidentId), body }),
  decideScope: (incidentId: string, accept: boolean) =>
    call<Incident>("post", "/incidents/{incident_id}/scope/decision", { params: id(incidentId), body: { accept, comment: null } }),
  proposeSub: (incidentId: string, body: SubBody) =>
    call<Ok<"/incidents/{incident_id}/sub-problems", "post">>("post", "/incidents/{incident_id}/sub-problems", { params: id(incidentId), body }),
  decideSub: (incidentId: string, proposalId: string, accept: boolean) =>
    call<unknown>("post", "/incidents/{incident_id}/sub-problems/{proposal_id}/decision", {
      params: { incident_id: incidentId, proposal_id: proposalId },
      body: { accept },
    }),
  queue: (owner: QueueOwner = "any", cursor?: string | null, limit = 100) =>
    call<Page<IncidentSummary>>("get", "/queue", { query: { owner, cursor, limit } }),
  /** Take (the caller's own id), hand over (another engineer's) or release (null). */
  assign: (incidentId: string, body: AssignBody) =>
    call<Incident>("post", "/incidents/{incident_id}/assignment", { params: id(incidentId), body }),
  engineers: () => call<Ok<"/engineers", "get">>("get", "/engineers").then((r): Engineer[] => r.items),
  resolve: (incidentId: string, body: ResolutionBody) =>
    call<Incident>("post", "/incidents/{incident_id}/resolution", { params: id(incidentId), body }),
  requestClosure: (incidentId: string, reason: string) =>
    call<Incident>("post", "/incidents/{incident_id}/closure-request", { params: id(incidentId), body: { reason } }),
  addNote: (incidentId: string, note: string) =>
    call<Event>("post", "/incidents/{incident_id}/notes", { params: id(incidentId), body: { note } }),
  decideCharge: (incidentId: string, charge: DecidedCharge) =>
    call<Incident>("post", "/incidents/{incident_id}/charge-decision", { params: id(incidentId), body: { charge } }),

  attachments: (incidentId: string) =>
    call<{ items: Attachment[] }>("get", "/incidents/{incident_id}/attachments", { params: id(incidentId) }).then((r) => r.items),
  startUpload: (incidentId: string, body: AttachmentRequest) =>
    call<UploadTicket>("post", "/incidents/{incident_id}/attachments", { params: id(incidentId), body }),
  completeUpload: (incidentId: string, attachmentId: string) =>
    call<Attachment>("post", "/incidents/{incident_id}/attachments/{attachment_id}/complete", {
      params: { incident_id: incidentId, attachment_id: attachmentId },
      body: {},
    }),

  offers: (country: string) => call<{ items: OfferQuote[] }>("get", "/offers", { query: { billing_country: country } }).then((r) => r.items),
  packs: () => call<Page<Pack>>("get", "/packs", { query: { limit: 100 } }).then((r) => r.items),
  buy: (offer: "single" | "five_pack", billingCountry: string, key: string) =>
    call<Pack>("post", "/packs", { body: { offer, billing_country: billingCountry }, idempotencyKey: key }),
  claim: (body: ClaimBody) => call<unknown>("post", "/pack-claims", { body }),
  claims: () => call<Page<PackClaim>>("get", "/pack-claims", { query: { limit: 100 } }).then((r) => r.items),
  decideClaim: (claimId: string, approve: boolean) =>
    call<unknown>("post", "/pack-claims/{claim_id}/decision", { params: { claim_id: claimId }, body: { approve, note: null } }),
  submitExemption: (body: TaxBody) => call<unknown>("post", "/tax-exemptions", { body }),
  exemptions: () =>
    call<Page<TaxExemptionItem>>("get", "/tax-exemptions", { query: { status: "pending", limit: 100 } }).then((r) => r.items),
  decideExemption: (accountId: string, approve: boolean) =>
    call<unknown>("post", "/tax-exemptions/{account_id}/decision", { params: { account_id: accountId }, body: { approve, note: null } }),
  account: () => call<Account>("get", "/account"),
  requestExport: () => call<Ok<"/account/data-export", "post">>("post", "/account/data-export"),
  dataExport: (exportId: string) => call<DataExport>("get", "/account/data-export/{export_id}", { params: { export_id: exportId } }),
  requestErasure: (reason: string) =>
    call<Ok<"/account/erasure-request", "post">>("post", "/account/erasure-request", {
      body: { reason } satisfies Body<"/account/erasure-request", "post">,
    }),
  erasureRequests: () =>
    call<Page<ErasureRequest>>("get", "/erasure-requests", { query: { status: "pending", limit: 100 } }).then((r) => r.items),
  decideErasure: (accountId: string, approve: boolean) =>
    call<Ok<"/erasure-requests/{account_id}/decision", "post">>("post", "/erasure-requests/{account_id}/decision", {
      params: { account_id: accountId },
      body: { approve, note: null },
    }),

  report: (from: string, to: string) =>
    call<{ items: ReportRow[] }>("get", "/reports/sla", { query: { from, to } }).then((r) => r.items),
  satisfaction: (from: string, to: string) =>
    call<{ items: SatisfactionLine[] }>("get", "/reports/satisfaction", { query: { from, to } }).then((r) => r.items),
  audit: (actor: string, subject: string, cursor: string | null) =>
    call<Page<AuditEntry>>("get", "/audit", { query: { actor, subject, cursor, limit: 50 } }),
  /** No sign-in needed: the token is the authority. */
  rate: (token: string, body: RatingBody) => call<Rated>("post", "/ratings/{token}", { params: { token }, body }),
  breaches: (month: string, cursor?: string | null) =>
    call<Page<Breach>>("get", "/reports/sla/breaches", { query: { month, cursor, limit: 100 } }),
};
