// Deployed sign-in: OIDC authorization code + PKCE against the configured issuer (Cognito).
// Loaded only by a deployed configuration, so the local bundle does not carry oidc-client-ts.
import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { Config } from "./config";

const CALLBACK = "/auth/callback";
let manager: UserManager | null = null;
const renewListeners: ((idToken: string) => void)[] = [];

function get(cfg: Config): UserManager {
  if (manager) return manager;
  if (!cfg.issuer || !cfg.client_id) throw new Error("config.json: issuer and client_id are needed");
  manager = new UserManager({
    authority: cfg.issuer,
    client_id: cfg.client_id,
    redirect_uri: location.origin + CALLBACK,
    post_logout_redirect_uri: location.origin + "/",
    response_type: "code",
    scope: cfg.scope ?? "openid email profile",
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
  manager.events.addUserLoaded((u) => {
    if (u.id_token) for (const l of renewListeners) l(u.id_token);
  });
  return manager;
}

/** Finishes a redirect back from the issuer, or restores the signed-in user; the ID token or null. */
export async function restore(cfg: Config): Promise<string | null> {
  const m = get(cfg);
  if (location.pathname === CALLBACK) {
    const user = await m.signinRedirectCallback();
    const back = typeof user.state === "string" && user.state.startsWith("/") ? user.state : "/";
    history.replaceState(null, "", back);
    return user.id_token ?? null;
  }
  const user = await m.getUser();
  if (!user || user.expired) return null;
  return user.id_token ?? null;
}

export async function signIn(cfg: Config, returnTo: string): Promise<void> {
  await get(cfg).signinRedirect({ state: returnTo });
}

export async function signOut(cfg: Config): Promise<void> {
  await get(cfg).removeUser();
}

export function onRenew(listener: (idToken: string) => void): void {
  renewListeners.push(listener);
}
