// The local stand-in for the Cognito user pool: a real OpenID Connect provider (oidc-provider,
// OpenID Certified) for `make dev` and `make test`, so the console signs in with the same
// authorization-code + PKCE flow, and the gateway verifies the same RS256 ID tokens, as in AWS.
//
// Configured only by environment (see README.md):
//   OIDC_PORT             listen on 127.0.0.1:$OIDC_PORT; issuer http://127.0.0.1:$OIDC_PORT
//   OIDC_KEY_FILE         the private signing key as a JWK set; created (0600) when missing, so
//                         tests and scripts can mint tokens with the same key and kid
//   OIDC_USERS_FILE       JSON array of {sub, email, password, name?, groups}; re-read on every
//                         sign-in and account lookup (tests add users while the provider runs)
//   OIDC_CONSOLE_ORIGINS  comma-separated console origins: redirect and post-logout URIs, CORS
//
// State (sessions, codes, tokens) lives in memory: a restart signs everyone out, which is what a
// local stack wants.
import { generateKeyPairSync, randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';

import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const CLIENT_ID = 'incident-desk-console';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`oidc: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('OIDC_PORT'));
const keyFile = required('OIDC_KEY_FILE');
const usersFile = required('OIDC_USERS_FILE');
const origins = (process.env.OIDC_CONSOLE_ORIGINS || 'http://127.0.0.1:9001')
  .split(',')
  .map((o) => o.trim().replace(/\/+$/, ''))
  .filter(Boolean);
for (const origin of origins) {
  if (new URL(origin).origin !== origin) {
    console.error(`oidc: OIDC_CONSOLE_ORIGINS: ${origin} is not an origin`);
    process.exit(2);
  }
}
const issuer = `http://127.0.0.1:${port}`;

// ---- the signing key ------------------------------------------------------------------------

// Loads the key set, or creates it: one RSA 2048 key with a random kid. Written to a temporary
// file and renamed so a reader never sees half a key.
function loadOrCreateKey(path) {
  if (existsSync(path)) {
    const { keys } = JSON.parse(readFileSync(path, 'utf8'));
    const key = keys?.find((k) => k.kty === 'RSA' && k.d && k.kid);
    if (!key) throw new Error(`${path}: no private RSA key with a kid`);
    return { ...key, alg: 'RS256', use: 'sig' };
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { n, e, d, p, q, dp, dq, qi } = privateKey.export({ format: 'jwk' });
  const key = {
    kty: 'RSA', kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
    n, e, d, p, q, dp, dq, qi,
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ keys: [key] }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return key;
}

const signingKey = loadOrCreateKey(keyFile);

// ---- accounts -------------------------------------------------------------------------------

// Read fresh each time: a missing or half-written file means no users, not a crash.
function readUsers() {
  try {
    const users = JSON.parse(readFileSync(usersFile, 'utf8'));
    return Array.isArray(users) ? users : [];
  } catch (err) {
    console.error(`oidc: cannot read ${usersFile}: ${err.message}`);
    return [];
  }
}

// Constant-time comparison of equal-length digests, so timing says nothing about the password.
function samePassword(given, expected) {
  const digest = (s) => createHash('sha256').update(String(s)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

// The user for an email and password, or undefined. Every attempt compares a password (against a
// dummy for an unknown email), so both failures take the same path.
function authenticate(email, password) {
  const wanted = String(email || '').trim().toLowerCase();
  const user = readUsers().find((u) => String(u.email || '').toLowerCase() === wanted);
  const ok = samePassword(password || '', user?.password ?? randomBytes(16).toString('hex'));
  return user && ok && typeof user.password === 'string' && user.password ? user : undefined;
}

// The claims a Cognito user pool puts in its ID tokens; oidc-provider releases them by scope
// (see `claims` below) and drops what a token may not carry.
async function findAccount(ctx, sub) {
  const user = readUsers().find((u) => u.sub === sub);
  if (!user) return undefined;
  return {
    accountId: user.sub,
    async claims(use) {
      return {
        sub: user.sub,
        email: user.email,
        email_verified: true,
        ...(user.name ? { name: user.name } : {}),
        'cognito:groups': Array.isArray(user.groups) ? user.groups : [],
        ...(use === 'id_token' ? { token_use: 'id' } : {}),
      };
    },
  };
}

// ---- pages ----------------------------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

const STYLE = `
  body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
  main{max-width:22rem;margin:4rem auto;padding:2rem;background:#fff;border:1px solid #d0d5dc;border-radius:8px}
  h1{font-size:1.4rem;margin:0 0 1.25rem}
  label{display:block;font-weight:600;margin:1rem 0 .25rem}
  input{box-sizing:border-box;width:100%;padding:.55rem .6rem;font:inherit;border:1px solid #6b7380;border-radius:4px}
  input:focus,button:focus{outline:3px solid #1a5fb4;outline-offset:2px}
  button{margin-top:1.5rem;width:100%;padding:.65rem;font:inherit;font-weight:600;color:#fff;background:#1a5fb4;border:0;border-radius:4px;cursor:pointer}
  .error{margin:0 0 1rem;padding:.6rem .75rem;color:#8a1c1c;background:#fdecec;border:1px solid #e3a1a1;border-radius:4px}
`;

// The provider's own pages: no external resources; the only script is /static/auto-submit.js
// (the sign-out page). form-action is left out on purpose: browsers apply it to the redirects
// after a form post, and the sign-in form ends in a redirect to the console.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(ctx, title, body, status = 200) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.set('content-security-policy', CSP);
  ctx.body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage(ctx, uid, { email = '', error = false } = {}) {
  const described = error ? ' aria-describedby="login-error" aria-invalid="true"' : '';
  page(ctx, 'Sign in to incident-desk', `<h1>Sign in to incident-desk</h1>
${error ? '<p id="login-error" class="error" role="alert">Wrong email or password.</p>\n' : ''}<form method="post" action="/interaction/${esc(encodeURIComponent(uid))}/login">
<label for="email">Email</label>
<input id="email" type="email" name="email" autocomplete="username" required value="${esc(email)}"${email ? '' : ' autofocus'}${described}>
<label for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required${email ? ' autofocus' : ''}${described}>
<button type="submit">Sign in</button>
</form>`);
}

// ---- the provider ---------------------------------------------------------------------------

// The in-memory store oidc-provider ships, under another name: it warns about its own class only.
class LocalMemoryAdapter extends MemoryAdapter {}

const consoleUris = origins.map((o) => `${o}/`);
const allowedOrigins = new Set(origins);

const provider = new Provider(issuer, {
  adapter: LocalMemoryAdapter,
  findAccount,
  clients: [{
    client_id: CLIENT_ID,
    client_name: 'incident-desk console',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: consoleUris,
    post_logout_redirect_uris: consoleUris,
    id_token_signed_response_alg: 'RS256',
    require_auth_time: true, // Cognito's ID tokens always carry auth_time
  }],
  jwks: { keys: [signingKey] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  // Scope → claims. cognito:groups and token_use ride on `openid`, as Cognito puts them in every
  // ID token; token_use is only produced for ID tokens (findAccount).
  claims: {
    openid: ['sub', 'cognito:groups', 'token_use'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  responseTypes: ['code'], // code flow only, as the console uses
  clientAuthMethods: ['none'], // the one client is public (PKCE instead of a secret)
  // Scope-requested claims go into the ID token itself even though an access token is issued:
  // the gateway and the console read the ID token, as with Cognito.
  conformIdTokenClaims: false,
  // A refresh token for the console's plain `openid email profile` code flow (oidc-client-ts
  // renews with it), not only for offline_access; it still dies with the session
  // (expiresWithSession) and rotates on every use (rotateRefreshToken's default for public clients).
  async issueRefreshToken(ctx, client, code) {
    if (!client.grantTypeAllowed('refresh_token')) return false;
    return code.scopes.has('offline_access')
      || (client.applicationType === 'web' && client.clientAuthMethod === 'none');
  },
  pkce: { methods: ['S256'], required: () => true },
  clientBasedCORS(ctx, origin, client) {
    return client.clientId === CLIENT_ID && allowedOrigins.has(origin);
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    // 14 days from sign-in: a rotated refresh token inherits what its predecessor had left, so a
    // browser cannot keep a session alive forever by refreshing (oidc-provider's default policy).
    RefreshToken(ctx, token) {
      const rotated = ctx?.oidc.entities.RotatedRefreshToken;
      return rotated && !token.isSenderConstrained() ? rotated.remainingTTL : 14 * 24 * 3600;
    },
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  // Plain http on 127.0.0.1: no Secure cookies, and Lax rather than the default None for the
  // session cookie (browsers drop SameSite=None cookies that are not Secure). The console and the
  // provider are same-site (127.0.0.1), so Lax is enough for every flow here.
  cookies: {
    keys: [randomBytes(32).toString('base64url')], // per start: sessions do not outlive the process
    long: { signed: true, httpOnly: true, sameSite: 'lax', secure: false },
    short: { signed: true, httpOnly: true, sameSite: 'lax', secure: false },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false }, // the sign-in page is ours (below)
    revocation: { enabled: true }, // oidc-client-ts may revoke tokens on sign-out
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // No confirmation click: the page posts oidc-provider's xsrf form with logout=yes by itself
      // (an external script, no inline one); without JavaScript it is one button.
      async logoutSource(ctx, form) {
        page(ctx, 'Signing out', `<h1>Signing out of incident-desk</h1>
${form}
<input type="hidden" form="op.logoutForm" name="logout" value="yes">
<noscript><button type="submit" form="op.logoutForm">Sign out</button></noscript>
<script src="/static/auto-submit.js"></script>`);
      },
      async postLogoutSuccessSource(ctx) {
        page(ctx, 'Signed out', '<h1>Signed out</h1>\n<p>You have signed out of incident-desk.</p>');
      },
    },
  },
  async renderError(ctx, out) {
    page(ctx, 'Sign-in error', `<h1>Something went wrong</h1>
<p>${esc(out.error)}${out.error_description ? `: ${esc(out.error_description)}` : ''}</p>`, ctx.status || 400);
  },
});

provider.on('server_error', (ctx, err) => console.error('oidc: server error', err));

// ---- interactions: sign-in and automatic consent ----------------------------------------------

// Reads an urlencoded form body (small: two fields).
async function formBody(ctx, limit = 16 * 1024) {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  let size = 0;
  const chunks = [];
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limit) ctx.throw(413);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Ends an interaction and sends the browser back to the authorization endpoint.
async function finish(ctx, result, mergeWithLastSubmission) {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission });
  ctx.set('cache-control', 'no-store');
  ctx.redirect(to);
  ctx.status = 303;
}

// No consent screen: the console is first-party. Grant what it asked for and go on.
async function autoConsent(ctx, details) {
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await finish(ctx, { consent: details.grantId ? {} : { grantId } }, true);
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/static/auto-submit.js') {
    ctx.type = 'text/javascript';
    ctx.set('cache-control', 'no-cache');
    ctx.body = "document.getElementById('op.logoutForm').submit();\n";
    return;
  }
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  const [, uid, login] = match;
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction session id mismatch');
    const prompt = details.prompt.name;

    if (ctx.method === 'GET' && !login) {
      if (prompt === 'login') return loginPage(ctx, uid, { email: details.params.login_hint || '' });
      if (prompt === 'consent') return await autoConsent(ctx, details);
    } else if (ctx.method === 'POST' && login && prompt === 'login') {
      const form = await formBody(ctx);
      const user = authenticate(form.get('email'), form.get('password'));
      if (!user) return loginPage(ctx, uid, { email: form.get('email') || '', error: true });
      return await finish(ctx, { login: { accountId: user.sub } }, false);
    }
    page(ctx, 'Sign-in error', '<h1>Something went wrong</h1>\n<p>Unexpected sign-in request.</p>', 400);
  } catch (err) {
    if (!(err instanceof errors.SessionNotFound)) throw err;
    // The interaction cookie expired or belongs to another attempt: say so, plainly.
    page(ctx, 'Sign-in expired', `<h1>Sign-in expired</h1>
<p>This sign-in attempt is no longer valid. Go back to the console and sign in again.</p>`, err.status || 400);
  }
  return undefined;
});

// ---- start ----------------------------------------------------------------------------------

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => {
  console.log(`oidc: issuer ${issuer} (kid ${signingKey.kid}), users ${usersFile}, console ${origins.join(' ')}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}
