/** Per-stage settings, read at run time from /config.json beside the app (one build for every stage). */
export interface Config {
  api_url: string;
  /** Local stack: sign in with #token=<JWT> from the address; never true in a deployed config. */
  local: boolean;
  issuer?: string;
  client_id?: string;
  region?: string;
  scope?: string;
}

let current: Config | null = null;

export async function loadConfig(): Promise<Config> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: ${res.status}`);
  const raw = (await res.json()) as Partial<Config>;
  if (typeof raw.api_url !== "string" || raw.api_url === "") throw new Error("config.json: api_url");
  current = {
    api_url: raw.api_url.replace(/\/+$/, ""),
    local: raw.local === true,
    ...(raw.issuer ? { issuer: raw.issuer } : {}),
    ...(raw.client_id ? { client_id: raw.client_id } : {}),
    ...(raw.region ? { region: raw.region } : {}),
    ...(raw.scope ? { scope: raw.scope } : {}),
  };
  return current;
}

export function config(): Config {
  if (!current) throw new Error("config not loaded");
  return current;
}
