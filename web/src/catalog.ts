// Small, rarely changing reference data, fetched once per page load.
import { api, type Calendar, type Category, type IncidentStatus, type Product, type SlaOutcome } from "./api";

let calendars: Promise<Calendar[]> | null = null;
let products: Promise<Product[]> | null = null;

export function getCalendars(): Promise<Calendar[]> {
  calendars ??= api.calendars().catch((e: unknown) => {
    calendars = null;
    throw e;
  });
  return calendars;
}

export function getProducts(): Promise<Product[]> {
  products ??= api.products().catch((e: unknown) => {
    products = null;
    throw e;
  });
  return products;
}

export const IN_SCOPE: Category[] = [
  "installation", "configuration", "error_or_crash", "performance", "connectivity", "data_recovery",
  "upgrade_migration", "other_technical",
];
export const EXCLUDED: Category[] = [
  "feature_request", "onsite_support", "custom_code", "developer_support", "security_incident_response", "billing_question",
];
export const SEVERITIES = ["A", "B", "C"] as const;
export const CALENDARS = ["PL", "US", "UK"] as const;
export const HANDLINGS = ["business_hours", "24x7"] as const;
export const CHANNELS = ["email", "phone", "remote_session", "offline_research"] as const;
export const STATUSES: readonly IncidentStatus[] = ["awaiting_response", "in_progress", "resolved", "unresolved", "closed_by_customer"];
export const SLA_OUTCOMES: readonly SlaOutcome[] = ["pending", "met", "breached", "withdrawn"];
