/**
 * Per-stage settings, read at run time from /config.json beside the app (one build for every
 * stage). Deployed, scripts/deploy-console.sh writes it from the stack outputs:
 * {"apiUrl","issuer","clientId","region","authDomain","redirectUri","logoutUri"}. Locally make dev
 * serves {"apiUrl","local":true}.
 */
export interface Config {
  apiUrl: string;
  /** Local stack: sign in with #token=<JWT> from the address. Never set in a deployed config. */
  local: boolean;
  issuer: string | null;
  clientId: string | null;
  region: string | null;
  /** Cognito hosted UI base (for /logout); empty with an external issuer. */
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
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    local: raw.local === true,
    issuer: str(raw.issuer),
    clientId: str(raw.clientId) ?? str(raw.client_id),
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
