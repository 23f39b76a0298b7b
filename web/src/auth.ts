import { signal } from "@preact/signals";
import type { User } from "oidc-client-ts";
import { config } from "./config";
import { navigate } from "./router";
import { forget, renew, restore, signIn as oidcSignIn, signOut as oidcSignOut } from "./oidc";

export interface Session {
  token: string;
  sub: string;
  email: string | null;
  groups: string[];
  exp: number | null;
}

export const session = signal<Session | null>(null);
/** Set when the API answered 401 or the token expired: the app shows the sign-in prompt. */
export const signInNeeded = signal(false);
/** Set when the issuer sent the browser back without a sign-in (refused, or the attempt's state was lost). */
export const signInFailed = signal(false);

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

let renewTimer: ReturnType<typeof setTimeout> | undefined;

/** Takes the tab's user from the issuer's redirect or from sessionStorage (see oidc.ts). */
function adopt(user: User | null): void {
  clearTimeout(renewTimer);
  const s = user?.id_token ? parseToken(user.id_token) : null;
  session.value = s && !expired(s) ? s : null;
  signInNeeded.value = session.value === null;
  if (session.value) schedule(session.value, !!user?.refresh_token);
}

// Browsers cap a timeout at 2^31-1 ms; a later expiry is re-checked then.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * When the ID token is a minute from expiring, renew it with the refresh token if the issuer gave
 * one; without one, or when renewal fails, the sign-in prompt comes up as the token expires. (A
 * token the API refuses earlier brings the prompt through sessionRejected.) A plain timeout, not
 * the library's clock polling: a page whose clock is moved (tests of deadlines) keeps its session.
 */
function schedule(s: Session, canRenew: boolean): void {
  if (s.exp === null) return;
  const at = s.exp * 1000 - (canRenew ? 60_000 : 0);
  renewTimer = setTimeout(() => void due(s, canRenew), Math.min(Math.max(0, at - Date.now()), MAX_DELAY));
}

async function due(s: Session, canRenew: boolean): Promise<void> {
  if (session.value !== s) return;
  const left = (s.exp ?? 0) * 1000 - Date.now();
  if (left > MAX_DELAY) return schedule(s, canRenew);
  if (canRenew) {
    const renewed = await renew(config());
    const next = renewed?.id_token ? parseToken(renewed.id_token) : null;
    if (next && next.exp !== null && s.exp !== null && next.exp > s.exp) return adopt(renewed);
    if (left > 0) return schedule(s, false);
  } else if (left > 0) {
    return schedule(s, false);
  }
  await sessionEnded();
}

async function sessionEnded(): Promise<void> {
  clearTimeout(renewTimer);
  session.value = null;
  signInNeeded.value = true;
  await forget(config()).catch(() => undefined);
}

/** Finishes a sign-in or sign-out redirect from the issuer, or restores the tab's session. */
export async function initAuth(): Promise<void> {
  const { user, failed } = await restore(config());
  // restore() may have replaced the address (the issuer's ?code=… or ?state=… goes): route by the new one.
  navigate(location.pathname + location.search, true);
  signInFailed.value = failed;
  adopt(user);
}

export async function signIn(): Promise<void> {
  signInFailed.value = false;
  try {
    await oidcSignIn(config(), location.pathname + location.search);
  } catch {
    signInFailed.value = true; // the issuer could not be reached
  }
}

/** Ends the session in the console and at the issuer (which sends the browser back signed out). */
export async function signOut(): Promise<void> {
  clearTimeout(renewTimer);
  session.value = null;
  signInNeeded.value = true;
  await oidcSignOut(config());
}

/** The API said 401: forget the token and ask to sign in. */
export function sessionRejected(): void {
  void sessionEnded();
}
