// The console's pages: one table from address to page, with the roles that may see each.
import type { JSX } from "preact";
import { isAdmin, isEngineer, type Session } from "./auth";
import { match } from "./router";
import { AccountPage } from "./pages/account";
import { AuditPage } from "./pages/audit";
import { ChargesPage } from "./pages/charges";
import { ClaimsPage } from "./pages/claims";
import { ErasureRequestsPage } from "./pages/erasure-requests";
import { IncidentPage } from "./pages/incident";
import { IncidentsPage } from "./pages/incidents";
import { NewIncidentPage } from "./pages/new-incident";
import { PacksPage } from "./pages/packs";
import { QueuePage } from "./pages/queue";
import { ReportsPage } from "./pages/reports";
import { AllIncidentsPage, MyIncidentsPage } from "./pages/staff-incidents";
import { TaxAdminPage } from "./pages/tax-admin";

export const isStaff = (s: Session | null) => isEngineer(s) || isAdmin(s);

interface Route {
  path: string;
  /** Who may open it; everyone signed in when absent. */
  allow?: (s: Session | null) => boolean;
  page: (params: Record<string, string>, s: Session | null) => JSX.Element;
}

/** First match wins: fixed paths before the patterns that would take them. */
export const ROUTES: readonly Route[] = [
  { path: "/packs", page: () => <PacksPage /> },
  { path: "/account", page: () => <AccountPage /> },
  { path: "/incidents", page: (_, s) => (isStaff(s) ? <AllIncidentsPage /> : <IncidentsPage />) },
  { path: "/incidents/new", page: () => <NewIncidentPage /> },
  { path: "/incidents/:id", page: (p) => <IncidentPage key={p.id} id={p.id ?? ""} /> },
  { path: "/my-incidents", allow: isEngineer, page: () => <MyIncidentsPage /> },
  { path: "/queue", allow: isEngineer, page: () => <QueuePage /> },
  { path: "/claims", allow: isAdmin, page: () => <ClaimsPage /> },
  { path: "/tax-exemptions", allow: isAdmin, page: () => <TaxAdminPage /> },
  { path: "/charges", allow: isAdmin, page: () => <ChargesPage /> },
  { path: "/reports", allow: isAdmin, page: () => <ReportsPage /> },
  { path: "/audit", allow: isAdmin, page: () => <AuditPage /> },
  { path: "/erasure-requests", allow: isAdmin, page: () => <ErasureRequestsPage /> },
];

/** The page for an address, or null when no route (for this viewer) has it. */
export function pageFor(path: string, s: Session | null): JSX.Element | null {
  for (const r of ROUTES) {
    const params = match(r.path, path);
    if (params && (!r.allow || r.allow(s))) return r.page(params, s);
  }
  return null;
}
