// Deployed sign-in: OIDC authorization code + PKCE against the configured issuer (Cognito).
// Imported lazily, only by a deployed configuration, so the local bundle does not load it.
import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { Config } from "./config";

let manager: UserManager | null = null;
const renewListeners: ((idToken: string) => void)[] = [];

function get(cfg: Config): UserManager {
  if (manager) return manager;
  if (!cfg.issuer || !cfg.clientId) throw new Error("config.json: issuer and clientId are needed");
  manager = new UserManager({
    authority: cfg.issuer,
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    post_logout_redirect_uri: cfg.logoutUri,
    response_type: "code",
    scope: cfg.scope,
    // Renews with the refresh token before the ID token expires; when it cannot, the API's 401
    // brings up the sign-in prompt.
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  manager.events.addUserLoaded((u) => {
    if (u.id_token) for (const l of renewListeners) l(u.id_token);
  });
  return manager;
}

function isCallback(cfg: Config): boolean {
  const here = new URL(location.href);
  const redirect = new URL(cfg.redirectUri, location.origin);
  return here.pathname === redirect.pathname && here.searchParams.has("state") && (here.searchParams.has("code") || here.searchParams.has("error"));
}

/** Finishes a redirect back from the issuer, or restores the signed-in user; the ID token or null. */
export async function restore(cfg: Config): Promise<string | null> {
  const m = get(cfg);
  if (isCallback(cfg)) {
    try {
      const user = await m.signinRedirectCallback();
      const back = typeof user.url_state === "string" && user.url_state.startsWith("/") ? user.url_state : "/";
      history.replaceState(null, "", back);
      return user.id_token ?? null;
    } catch {
      history.replaceState(null, "", "/");
      return null;
    }
  }
  const user = await m.getUser();
  if (!user || user.expired) return null;
  return user.id_token ?? null;
}

export async function signIn(cfg: Config, returnTo: string): Promise<void> {
  await get(cfg).signinRedirect({ url_state: returnTo });
}

export async function signOut(cfg: Config): Promise<void> {
  await get(cfg).removeUser();
  if (cfg.authDomain && cfg.clientId) {
    // Cognito's hosted UI ends its own session at /logout (its discovery document has no end_session_endpoint).
    const u = new URL(`${cfg.authDomain}/logout`);
    u.searchParams.set("client_id", cfg.clientId);
    u.searchParams.set("logout_uri", cfg.logoutUri);
    location.assign(u.toString());
  }
}

export function onRenew(listener: (idToken: string) => void): void {
  renewListeners.push(listener);
}
