// Every route the console calls, checked against openapi.yaml at compile time.
import type { paths } from "./openapi.gen";

type Method = "get" | "post";
type InSpec<P extends string, M extends Method> = P extends keyof paths
  ? paths[P] extends Record<M, infer O>
    ? [O] extends [never]
      ? false
      : [O] extends [undefined]
        ? false
        : true
    : false
  : false;

/** Routes of API.md that openapi.yaml has, which the console calls. */
export const ROUTES = [
  ["get", "/products"],
  ["get", "/calendars"],
  ["get", "/sla/quote"],
  ["get", "/incidents"],
  ["post", "/incidents"],
  ["get", "/incidents/{incident_id}"],
  ["post", "/incidents/{incident_id}/responses"],
  ["post", "/incidents/{incident_id}/messages"],
  ["post", "/incidents/{incident_id}/scope"],
  ["post", "/incidents/{incident_id}/scope/decision"],
  ["post", "/incidents/{incident_id}/sub-problems"],
  ["post", "/incidents/{incident_id}/sub-problems/{proposal_id}/decision"],
  ["get", "/queue"],
  ["post", "/incidents/{incident_id}/resolution"],
  ["post", "/incidents/{incident_id}/closure-request"],
  ["post", "/incidents/{incident_id}/charge-decision"],
  ["get", "/packs"],
  ["post", "/packs"],
  ["post", "/pack-claims"],
  ["get", "/pack-claims"],
  ["post", "/pack-claims/{claim_id}/decision"],
  ["post", "/tax-exemptions"],
  ["post", "/tax-exemptions/{account_id}/decision"],
  ["get", "/account"],
  ["get", "/reports/sla"],
  ["get", "/reports/sla/breaches"],
  ["post", "/incidents/{incident_id}/attachments"],
  ["post", "/incidents/{incident_id}/attachments/{attachment_id}/complete"],
  ["get", "/incidents/{incident_id}/attachments"],
  ["get", "/offers"],
  ["get", "/incidents/{incident_id}/timeline"],
  ["get", "/tax-exemptions"],
  ["post", "/incidents/{incident_id}/assignment"],
  ["get", "/engineers"],
  ["post", "/ratings/{token}"],
  ["get", "/reports/satisfaction"],
  ["get", "/audit"],
  ["post", "/incidents/{incident_id}/notes"],
  ["get", "/incidents/by-number/{number}"],
  ["post", "/account/data-export"],
  ["get", "/account/data-export/{export_id}"],
  ["post", "/account/erasure-request"],
  ["get", "/erasure-requests"],
  ["post", "/erasure-requests/{account_id}/decision"],
] as const;

type Entry = readonly [Method, string];
type AllIn<T extends readonly Entry[]> = { [K in keyof T]: T[K] extends readonly [infer M extends Method, infer P extends string] ? InSpec<P, M> : never }[number];

type Assert<T extends true> = T;
export type RoutesAreInSpec = Assert<AllIn<typeof ROUTES> extends true ? true : false>;

export type Route = (typeof ROUTES)[number];
export type RoutePath<M extends Method> = Extract<Route, readonly [M, string]>[1];
