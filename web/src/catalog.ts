// Small, rarely changing reference data, fetched once per page load, and the API's enumerations.
// The enumerations are not restated here: openapi-typescript writes them from infra/openapi.yaml
// (`npm run gen:api`, run before every type check and build), so a value added to the contract
// reaches every select and filter of the console.
import { api, type Calendar, type Product } from "./api";
import {
  calendarIdValues, channelValues, excludedCategoryValues, handlingValues, inScopeCategoryValues, incidentStatusValues,
  severityValues, slaOutcomeValues,
} from "./api/openapi.gen";

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

export const IN_SCOPE = inScopeCategoryValues;
export const EXCLUDED = excludedCategoryValues;
export const SEVERITIES = severityValues;
export const CALENDARS = calendarIdValues;
/** Business hours first: the usual choice. */
export const HANDLINGS = [...handlingValues].sort((a, b) => (a === "business_hours" ? -1 : b === "business_hours" ? 1 : 0));
export const CHANNELS = channelValues;
export const STATUSES = incidentStatusValues;
export const SLA_OUTCOMES = slaOutcomeValues;
