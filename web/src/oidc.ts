// Sign-in, one path for every stage: OpenID Connect authorization code + PKCE (S256) against the
// configured issuer — Cognito deployed, the OpenID Connect provider of `make dev` / `make test`
// otherwise. The console sends the ID token to the API.
import { UserManager, WebStorageStateStore, type User } from "oidc-client-ts";
import type { Config } from "./config";

let manager: UserManager | null = null;

function get(cfg: Config): UserManager {
  if (manager) return manager;
  // Where tokens live: sessionStorage, never localStorage and never a URL. sessionStorage is
  // per tab and gone when the tab closes (each tab may be another identity, nothing outlives the
  // visit on a shared computer) yet survives the redirect to the issuer and back and a reload.
  // The PKCE verifier and state of a pending sign-in are kept there too (the library's default
  // would be localStorage). The code comes back in the query, is exchanged once and removed from
  // the address at once.
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  manager = new UserManager({
    authority: cfg.issuer,
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    post_logout_redirect_uri: cfg.logoutUri,
    response_type: "code",
    scope: cfg.scope,
    // Renewal is driven by auth.ts (with the refresh token only): the library's own timer would
    // fall back to a hidden iframe at the issuer, which the console's CSP (default-src 'self')
    // does not allow, and it would not notice an expired ID token on its own either.
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
    userStore: store,
    stateStore: store,
  });
  return manager;
}

/** The address is the issuer's answer to a sign-in (code or error) or a sign-out (state only). */
function callbackKind(cfg: Config): "signin" | "signout" | null {
  const here = new URL(location.href);
  const q = here.searchParams;
  if (!q.has("state")) return null;
  if (q.has("code") || q.has("error")) {
    return here.pathname === new URL(cfg.redirectUri, location.origin).pathname ? "signin" : null;
  }
  return here.pathname === new URL(cfg.logoutUri, location.origin).pathname ? "signout" : null;
}

export interface Restored {
  user: User | null;
  /** A sign-in came back from the issuer and failed (refused, or its state was lost). */
  failed: boolean;
}

/** Finishes a redirect back from the issuer, or restores the tab's signed-in user. */
export async function restore(cfg: Config): Promise<Restored> {
  const m = get(cfg);
  const kind = callbackKind(cfg);
  if (kind === "signin") {
    try {
      const user = await m.signinRedirectCallback();
      const back = typeof user.url_state === "string" && user.url_state.startsWith("/") ? user.url_state : "/";
      history.replaceState(null, "", back);
      return { user, failed: false };
    } catch {
      history.replaceState(null, "", "/");
      await m.removeUser();
      return { user: null, failed: true };
    }
  }
  if (kind === "signout") {
    // Back from the issuer's end_session_endpoint: drop the sign-out's state, clean the address.
    await m.signoutCallback().catch(() => undefined);
    history.replaceState(null, "", "/");
    return { user: null, failed: false };
  }
  const user = await m.getUser();
  return { user: user && !user.expired ? user : null, failed: false };
}

export async function signIn(cfg: Config, returnTo: string): Promise<void> {
  await get(cfg).signinRedirect({ url_state: returnTo });
}

/** New tokens from the refresh token, when the issuer gave one; otherwise null (sign in again). */
export async function renew(cfg: Config): Promise<User | null> {
  const m = get(cfg);
  const user = await m.getUser();
  if (!user?.refresh_token) return null;
  try {
    return await m.signinSilent();
  } catch {
    return null;
  }
}

/** Forgets the tab's tokens (the API refused them, or they expired). */
export async function forget(cfg: Config): Promise<void> {
  await get(cfg).removeUser();
}

/**
 * Ends the session here and at the issuer. An issuer with an end_session_endpoint (make dev's
 * provider, most OpenID providers) gets RP-initiated logout with the ID token as hint; Cognito
 * has none and ends its hosted UI session at <authDomain>/logout.
 */
export async function signOut(cfg: Config): Promise<void> {
  const m = get(cfg);
  const user = await m.getUser();
  const endSession = await m.metadataService.getEndSessionEndpoint().catch(() => undefined);
  if (endSession) {
    await m.signoutRedirect(user?.id_token ? { id_token_hint: user.id_token } : {});
    return;
  }
  await m.removeUser();
  if (cfg.authDomain) {
    const u = new URL(`${cfg.authDomain}/logout`);
    u.searchParams.set("client_id", cfg.clientId);
    u.searchParams.set("logout_uri", cfg.logoutUri);
    location.assign(u.toString());
  }
}
