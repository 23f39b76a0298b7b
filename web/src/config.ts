/**
 * Per-stage settings, read at run time from /config.json beside the app (one build for every
 * stage): {"apiUrl","issuer","clientId","region","authDomain","redirectUri","logoutUri","scope"}.
 * Deployed, scripts/deploy-console.sh writes it from the stack outputs (Cognito);
 * under make dev and make test the console server (web_gateway.py) names the OpenID Connect
 * provider that stands in for Cognito.
 * Sign-in takes one path either way: authorization code + PKCE against `issuer`.
 */
export interface Config {
  apiUrl: string;
  issuer: string;
  clientId: string;
  region: string | null;
  /** Cognito hosted UI base (for /logout, as Cognito's discovery has no end_session_endpoint); empty with another issuer. */
  authDomain: string | null;
  redirectUri: string;
  logoutUri: string;
  scope: string;
}

let current: Config | null = null;

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

export function parseConfig(raw: Record<string, unknown>, origin: string): Config {
  const apiUrl = str(raw.apiUrl) ?? str(raw.api_url);
  if (!apiUrl) throw new Error("config.json: apiUrl is missing");
  const issuer = str(raw.issuer);
  const clientId = str(raw.clientId) ?? str(raw.client_id);
  if (!issuer || !clientId) throw new Error("config.json: issuer and clientId are needed");
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    issuer,
    clientId,
    region: str(raw.region),
    authDomain: str(raw.authDomain)?.replace(/\/+$/, "") ?? null,
    redirectUri: str(raw.redirectUri) ?? `${origin}/`,
    logoutUri: str(raw.logoutUri) ?? `${origin}/`,
    scope: str(raw.scope) ?? "openid email profile",
  };
}

export async function loadConfig(): Promise<Config> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: ${res.status}`);
  const raw = (await res.json()) as unknown;
  if (typeof raw !== "object" || raw === null) throw new Error("config.json: not an object");
  current = parseConfig(raw as Record<string, unknown>, location.origin);
  return current;
}

export function config(): Config {
  if (!current) throw new Error("config not loaded");
  return current;
}
