import { signal } from "@preact/signals";
import { config } from "./config";

export interface Session {
  token: string;
  sub: string;
  email: string | null;
  groups: string[];
  exp: number | null;
}

const TOKEN_KEY = "console.token";
export const session = signal<Session | null>(null);
/** Set when the API answered 401 or the token expired: the app shows the sign-in prompt. */
export const signInNeeded = signal(false);

export const ENGINEERS = "support-engineers";
export const ADMINS = "support-admins";

function b64urlJson(part: string): unknown {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The claims the console needs for its own display; the API verifies the token itself. */
export function parseToken(token: string): Session | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  let claims: Record<string, unknown>;
  try {
    const c = b64urlJson(parts[1]);
    if (typeof c !== "object" || c === null) return null;
    claims = c as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof claims.sub !== "string") return null;
  const raw = claims["cognito:groups"];
  let groups: string[] = [];
  if (Array.isArray(raw)) groups = raw.filter((g): g is string => typeof g === "string");
  else if (typeof raw === "string") groups = raw.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return {
    token,
    sub: claims.sub,
    email: typeof claims.email === "string" ? claims.email : null,
    groups,
    exp: typeof claims.exp === "number" ? claims.exp : null,
  };
}

export function expired(s: Session, nowMs = Date.now()): boolean {
  return s.exp !== null && s.exp * 1000 <= nowMs;
}

export const isEngineer = (s: Session | null) => !!s && s.groups.includes(ENGINEERS);
export const isAdmin = (s: Session | null) => !!s && s.groups.includes(ADMINS);

type Oidc = typeof import("./oidc");
let oidc: Oidc | null = null;

/** Takes the token from the address (local) or finishes/restores the OIDC sign-in (deployed). */
export async function initAuth(): Promise<void> {
  const cfg = config();
  const hash = location.hash;
  if (hash.startsWith("#token=")) {
    // Never leave a token in the address bar or the history, whether or not it is honoured.
    history.replaceState(history.state, "", location.pathname + location.search);
    if (cfg.local) {
      const token = decodeURIComponent(hash.slice("#token=".length));
      const s = parseToken(token);
      if (s) sessionStorage.setItem(TOKEN_KEY, token);
    }
  }
  if (cfg.local) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const s = token ? parseToken(token) : null;
    session.value = s && !expired(s) ? s : null;
    signInNeeded.value = session.value === null;
    return;
  }
  oidc = await import("./oidc");
  const idToken = await oidc.restore(cfg);
  const s = idToken ? parseToken(idToken) : null;
  session.value = s;
  signInNeeded.value = s === null;
  oidc.onRenew((t) => {
    const renewed = parseToken(t);
    if (renewed) {
      session.value = renewed;
      signInNeeded.value = false;
    }
  });
}

export async function signIn(): Promise<void> {
  const cfg = config();
  if (cfg.local) return;
  oidc ??= await import("./oidc");
  await oidc.signIn(cfg, location.pathname + location.search);
}

export async function signOut(): Promise<void> {
  sessionStorage.removeItem(TOKEN_KEY);
  session.value = null;
  signInNeeded.value = true;
  if (!config().local && oidc) await oidc.signOut(config());
}

/** The API said 401: forget the token and ask to sign in. */
export function sessionRejected(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  signInNeeded.value = true;
}
