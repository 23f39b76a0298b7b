// The console's view of the API. Types come from infra/openapi.yaml (openapi-typescript writes
// openapi.gen.ts before every type check and build), so a route or field that drifts from the
// OpenAPI file breaks `tsc`. Fields and routes that API.md already names but that other parts of
// the project have not yet added to openapi.yaml are declared below, each marked PENDING; see
// routes.ts for the check that fails once they land so that they get bound to the file.
import type { components, paths } from "./openapi.gen";

type S = components["schemas"];
type Method = "get" | "post";
type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : never;
/** The JSON body of the success answer of a route of openapi.yaml. */
export type Ok<P extends keyof paths, M extends Method> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer A }
      ? JsonOf<A>
      : R extends { 202: infer A }
        ? JsonOf<A>
        : never
  : never;
/** The JSON request body of a route of openapi.yaml. */
export type Body<P extends keyof paths, M extends Method> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

export type Severity = S["Severity"];
export type CalendarId = S["CalendarId"];
export type Handling = S["Handling"];
export type Offer = S["Offer"];
export type Channel = S["Channel"];
export type Category = S["Category"];
export type DecidedCharge = S["DecidedCharge"];
export type Money = S["Money"];
export type Product = S["Product"];
export type Calendar = S["Calendar"];
export type Problem = S["Problem"];
export type Scope = S["Scope"];
export type IncidentSubmission = S["IncidentSubmission"];

export type SlaQuote = S["SlaQuote"];

export type Pack = S["Pack"];
export type PackStatus = Pack["status"];

export type Owner = S["Owner"];
export type Engineer = S["Engineer"];
export type IncidentStatus = S["IncidentStatus"];
export type SlaOutcome = S["SlaOutcome"];

export type EventKind = S["EventKind"];
export type Event = S["Event"];

/** PENDING (contract: timeline_next_cursor; notifier: contact.language). */
type IncidentExtra = {
  timeline_next_cursor?: string | null;
  contact: S["Contact"] & { language?: "pl" | "en" };
};
export type Incident = Omit<S["Incident"], "timeline" | "contact"> &
  IncidentExtra & { timeline?: Event[] };
export type IncidentSummary = Omit<Incident, "timeline">;

/** The body the console sends; `contact.language` is PENDING (notifier). */
export type Submission = Omit<IncidentSubmission, "contact"> & {
  contact: S["Contact"] & { language?: "pl" | "en" };
};

// ---- PENDING routes (see routes.ts), typed after API.md ----
export type OfferQuote = S["OfferPrice"];
export type UploadTicket = S["AttachmentUpload"];
export type Attachment = S["Attachment"];
export type AttachmentRequest = S["AttachmentRequest"];
export type ReportRow = Ok<"/reports/sla", "get">["items"][number];
export type Breach = Ok<"/reports/sla/breaches", "get">["items"][number];
/** PENDING (GET /tax-exemptions is in API.md, not yet routed nor in openapi.yaml). */
export interface TaxExemptionItem {
  account_id: string;
  jurisdiction: string;
  certificate_reference: string;
  status: "pending" | "verified" | "rejected";
  submitted_at: string;
}
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** PENDING (notifier): `email`, the last address a token presented. */
export type Account = Ok<"/account", "get"> & { email?: string | null };
export type PackClaim = S["PackClaim"];

export type AuditEntry = S["AuditEntry"];
export type SatisfactionLine = S["SatisfactionLine"];
export type RatingBody = Body<"/ratings/{token}", "post">;
export type Rated = Ok<"/ratings/{token}", "post">;

export type DataExport = Ok<"/account/data-export/{export_id}", "get">;
export type ErasureRequest = S["ErasureRequest"];
