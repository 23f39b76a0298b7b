// Self-check of the local OpenID Connect provider (provider.mjs): starts it on a free port with
// temporary files and signs in the way a browser and oidc-client-ts would (authorization code +
// PKCE, cookies, redirects, the sign-in form), then checks the tokens, refresh, sign-out, the key
// file's reuse and the failure cases. Exits non-zero on the first failure.
//
//   node infra/local/oidc/check.mjs
//   OIDC_KEY_FILE=/tmp/k.json node infra/local/oidc/check.mjs   # keep the key between runs
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLIENT_ID = 'incident-desk-console';
const CONSOLE = 'http://127.0.0.1:9001';
const REDIRECT = `${CONSOLE}/`;
const OTHER_CONSOLE = 'http://127.0.0.1:43123';

const tmp = mkdtempSync(join(tmpdir(), 'oidc-check-'));
const keyFile = process.env.OIDC_KEY_FILE || join(tmp, 'keys', 'oidc-key.json');
const usersFile = join(tmp, 'oidc-users.json');
let provider; // { child, port, log }

function ok(what) { console.log(`ok - ${what}`); }
function check(condition, what, detail) {
  if (!condition) {
    const more = detail === undefined ? '' : `\n   got: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    throw new Error(`${what}${more}`);
  }
  ok(what);
}

// ---- the provider -----------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    }).on('error', reject);
  });
}

async function startProvider() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(HERE, 'provider.mjs')], {
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_KEY_FILE: keyFile,
      OIDC_USERS_FILE: usersFile,
      OIDC_CONSOLE_ORIGINS: `${CONSOLE},${OTHER_CONSOLE}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = { child, port, log: '' };
  child.stdout.on('data', (d) => { p.log += d; });
  child.stderr.on('data', (d) => { p.log += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider did not start:\n${p.log}`)), 15000);
    child.stdout.on('data', () => {
      if (p.log.includes('oidc: issuer')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`provider exited (${code}):\n${p.log}`)); });
  });
  return p;
}

async function stopProvider() {
  if (!provider || provider.child.exitCode !== null) return;
  const exited = new Promise((resolve) => provider.child.once('exit', resolve));
  provider.child.kill('SIGTERM');
  await exited;
}

// ---- a small browser: cookies and redirects ---------------------------------------------------

class Browser {
  constructor() { this.cookies = new Map(); } // "name path" → { name, value, path }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      if (expired) this.cookies.delete(`${name} ${path}`);
      else this.cookies.set(`${name} ${path}`, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  // One request, then GETs along the redirects until a page, or a redirect to the console (which
  // is where a browser would leave the provider).
  async go(url, { method = 'GET', form } = {}) {
    let next = { url, method, form };
    for (let hops = 0; hops < 20; hops += 1) {
      const headers = { cookie: this.header(next.url) };
      let body;
      if (next.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(next.form).toString();
      }
      const res = await fetch(next.url, { method: next.method, headers, body, redirect: 'manual' });
      this.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const to = new URL(location, next.url).href;
        await res.arrayBuffer();
        if (!to.startsWith(`http://127.0.0.1:${provider.port}/`)) return { status: res.status, redirect: to };
        next = { url: to, method: 'GET' };
      } else {
        return { status: res.status, url: next.url, html: await res.text(), headers: res.headers };
      }
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

function formOf(html) {
  const form = /<form[^>]*action="([^"]+)"[^>]*>/.exec(html);
  return form && new URL(form[1].replace(/&amp;/g, '&'), `http://127.0.0.1:${provider.port}`).href;
}

// ---- helpers --------------------------------------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');

async function discovery() {
  const res = await fetch(`http://127.0.0.1:${provider.port}/.well-known/openid-configuration`, {
    headers: { origin: CONSOLE },
  });
  return { res, doc: await res.json() };
}

// GET the authorization endpoint with PKCE S256 and follow it to the sign-in page.
async function authorize(browser, extra = {}) {
  const { doc } = await discovery();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid email profile',
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const page = await browser.go(`${doc.authorization_endpoint}?${params}`);
  return { page, verifier, state, nonce };
}

// A full sign-in: the sign-in page, the form post, the redirects to the console with a code.
async function signIn(browser, email, password) {
  const { page, verifier, state, nonce } = await authorize(browser);
  if (!page.html) throw new Error(`no sign-in page: ${JSON.stringify(page)}`);
  const after = await browser.go(formOf(page.html), { method: 'POST', form: { email, password } });
  return { page, after, verifier, state, nonce };
}

async function tokenRequest(form, origin = CONSOLE) {
  const { doc } = await discovery();
  const res = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...form }),
  });
  return { res, body: await res.json() };
}

async function exchange(signInResult) {
  const url = new URL(signInResult.after.redirect);
  return tokenRequest({
    grant_type: 'authorization_code',
    code: url.searchParams.get('code'),
    redirect_uri: REDIRECT,
    code_verifier: signInResult.verifier,
  });
}

// Verifies an RS256 JWT against the provider's JWKS with node's crypto; returns header + claims.
async function verifyJwt(jwt) {
  const { doc } = await discovery();
  const jwks = await (await fetch(doc.jwks_uri)).json();
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} not in the JWKS`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const valid = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  return { header, claims: JSON.parse(Buffer.from(p, 'base64url')), valid };
}

function writeUsers(users) {
  writeFileSync(usersFile, `${JSON.stringify(users, null, 2)}\n`);
}

// ---- the checks -----------------------------------------------------------------------------

async function main() {
  const users = [
    { sub: 'dev-customer', email: 'dev-customer@example.com', password: b64url(randomBytes(12)), name: 'Dev Customer', groups: [] },
    { sub: 'dev-engineer', email: 'dev-engineer@example.com', password: b64url(randomBytes(12)), name: 'Dev Engineer', groups: ['support-engineers'] },
  ];
  writeUsers(users);
  const [customer, engineer] = users;

  provider = await startProvider();
  const issuer = `http://127.0.0.1:${provider.port}`;
  const fileKid = JSON.parse(readFileSync(keyFile, 'utf8')).keys[0].kid;
  check((statSync(keyFile).mode & 0o777) === 0o600, `key file ${keyFile} has mode 0600`);

  // Discovery and JWKS.
  const { res: discoveryRes, doc } = await discovery();
  check(doc.issuer === issuer, `discovery: issuer ${doc.issuer}`);
  check(discoveryRes.headers.get('access-control-allow-origin'), 'discovery: CORS', discoveryRes.headers.get('access-control-allow-origin'));
  check(doc.code_challenge_methods_supported?.join() === 'S256', 'discovery: PKCE S256 only');
  check(doc.end_session_endpoint && doc.jwks_uri && doc.token_endpoint && doc.userinfo_endpoint,
    `discovery: endpoints (jwks ${doc.jwks_uri}, end_session ${doc.end_session_endpoint})`);
  const jwks = await (await fetch(doc.jwks_uri)).json();
  check(jwks.keys.length === 1 && jwks.keys[0].kid === fileKid && !jwks.keys[0].d,
    `JWKS: one public key, kid ${fileKid} from the key file`, jwks);

  // The sign-in page.
  const browser = new Browser();
  const first = await signIn(browser, customer.email, customer.password);
  const { html } = first.page;
  check(/<h1>Sign in to incident-desk<\/h1>/.test(html), 'sign-in page: heading');
  check(/<label for="email">Email<\/label>/.test(html)
    && /<input id="email" type="email" name="email" autocomplete="username"/.test(html), 'sign-in page: Email field');
  check(/<label for="password">Password<\/label>/.test(html)
    && /<input id="password" type="password" name="password"/.test(html), 'sign-in page: Password field');
  check(/<button type="submit">Sign in<\/button>/.test(html), 'sign-in page: "Sign in" button');
  check(!/<script/i.test(html) && !/(src|href)="https?:/i.test(html), 'sign-in page: no scripts, no external resources');

  // Code, tokens, the ID token's claims.
  const landing = new URL(first.after.redirect || 'http://invalid/');
  check(landing.origin + landing.pathname === REDIRECT && landing.searchParams.get('code')
    && landing.searchParams.get('state') === first.state, `redirect to ${REDIRECT}?code=…&state=…`, first.after);
  const tokens = await exchange(first);
  check(tokens.res.status === 200 && tokens.body.id_token && tokens.body.access_token,
    'token endpoint: code + code_verifier → tokens', tokens.body);
  check(tokens.res.headers.get('access-control-allow-origin') === CONSOLE, 'token endpoint: CORS for the console origin');
  check(tokens.body.refresh_token, 'token endpoint: refresh token for scope "openid email profile"', Object.keys(tokens.body));
  const id = await verifyJwt(tokens.body.id_token);
  check(id.valid && id.header.alg === 'RS256', 'ID token: RS256 signature verifies against the JWKS');
  check(id.header.kid === fileKid, `ID token: kid ${id.header.kid} is the key file's`);
  const c = id.claims;
  const now = Math.floor(Date.now() / 1000);
  check(c.iss === issuer && c.aud === CLIENT_ID && c.sub === customer.sub && c.email === customer.email
    && c.email_verified === true && c.name === customer.name && c.token_use === 'id'
    && Array.isArray(c['cognito:groups']) && c['cognito:groups'].length === 0
    && c.nonce === first.nonce && c.exp - c.iat === 3600 && Math.abs(c.iat - now) < 60
    && typeof c.auth_time === 'number', 'ID token: Cognito-shaped claims', c);
  console.log(`   ${JSON.stringify(c)}`);

  const userinfo = await (await fetch(doc.userinfo_endpoint, {
    headers: { authorization: `Bearer ${tokens.body.access_token}` },
  })).json();
  check(userinfo.email === customer.email && Array.isArray(userinfo['cognito:groups']) && !('token_use' in userinfo),
    'userinfo: email and cognito:groups, no token_use', userinfo);

  // Refresh (rotating).
  const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
  check(refreshed.res.status === 200 && refreshed.body.id_token && refreshed.body.refresh_token
    && refreshed.body.refresh_token !== tokens.body.refresh_token, 'refresh token: works and rotates', refreshed.body);
  const rid = await verifyJwt(refreshed.body.id_token);
  check(rid.valid && rid.claims.sub === customer.sub && rid.claims.token_use === 'id'
    && Array.isArray(rid.claims['cognito:groups']), 'refresh token: new ID token with the same claims', rid.claims);

  // A second sign-in in the same browser goes straight through (session + existing grant).
  const again = await authorize(browser);
  check(again.page.redirect?.startsWith(`${REDIRECT}?code=`), 'second authorization in the same session: no sign-in page');

  // Failures: wrong password, unknown email, no PKCE, a redirect_uri that is not the console.
  const wrong = await signIn(new Browser(), customer.email, 'not-the-password');
  check(!wrong.after.redirect && /Wrong email or password\./.test(wrong.after.html)
    && /<h1>Sign in to incident-desk<\/h1>/.test(wrong.after.html), `wrong password: the sign-in page again (HTTP ${wrong.after.status}), no code`);
  const unknown = await signIn(new Browser(), 'nobody@example.com', 'whatever');
  check(!unknown.after.redirect && /Wrong email or password\./.test(unknown.after.html), 'unknown email: the same answer, no code');
  const injected = await signIn(new Browser(), '"><script>x</script>@example.com', 'x');
  check(!/<script>x<\/script>/.test(injected.after.html) && /&quot;&gt;&lt;script&gt;/.test(injected.after.html),
    'sign-in page: the submitted email is escaped');
  const noPkce = await authorize(new Browser(), { code_challenge: '', code_challenge_method: '' });
  check(noPkce.page.redirect && new URL(noPkce.page.redirect).searchParams.get('error') === 'invalid_request',
    'authorization without PKCE: invalid_request', noPkce.page.redirect);
  const badRedirect = await authorize(new Browser(), { redirect_uri: 'http://127.0.0.1:9002/' });
  check(!badRedirect.page.redirect && badRedirect.page.status === 400, 'unregistered redirect_uri: refused (400 page)');

  // CORS: the second console origin is allowed, another origin is not.
  const preflight = async (origin) => (await fetch(doc.token_endpoint, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST' },
  })).headers.get('access-control-allow-origin');
  check(await preflight(OTHER_CONSOLE) === OTHER_CONSOLE, `token endpoint CORS preflight: ${OTHER_CONSOLE} allowed`);
  const other = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, 'http://evil.example');
  check(other.res.headers.get('access-control-allow-origin') === null, 'token endpoint CORS: another origin gets no CORS header');

  // A user added to the file while the provider runs can sign in.
  const newcomer = { sub: 'added-later', email: 'added-later@example.com', password: b64url(randomBytes(12)), groups: ['support-admins', 'support-engineers'] };
  writeUsers([...users, newcomer]);
  const late = await signIn(new Browser(), newcomer.email, newcomer.password);
  const lateTokens = await exchange(late);
  const lateId = await verifyJwt(lateTokens.body.id_token);
  check(lateId.valid && lateId.claims.sub === newcomer.sub && !('name' in lateId.claims)
    && lateId.claims['cognito:groups'].join() === 'support-admins,support-engineers',
  'user appended to the users file while running: signs in, groups in the ID token', lateId.claims);

  // The engineer's groups.
  const eng = await exchange(await signIn(new Browser(), engineer.email, engineer.password));
  const engId = await verifyJwt(eng.body.id_token);
  check(engId.claims['cognito:groups'].join() === 'support-engineers', 'engineer: cognito:groups ["support-engineers"]');

  // RP-initiated logout: the sign-out page posts itself; the browser ends on the console.
  const endUrl = `${doc.end_session_endpoint}?${new URLSearchParams({
    id_token_hint: refreshed.body.id_token, post_logout_redirect_uri: REDIRECT, state: 'bye',
  })}`;
  const logoutPage = await browser.go(endUrl);
  check(logoutPage.status === 200 && /<script src="\/static\/auto-submit\.js"><\/script>/.test(logoutPage.html)
    && /name="logout" value="yes"/.test(logoutPage.html) && !/<script>/.test(logoutPage.html),
  'end_session: a self-submitting sign-out page (external script, no inline one)', logoutPage.html);
  const script = await (await fetch(`${issuer}/static/auto-submit.js`)).text();
  check(script.includes("getElementById('op.logoutForm').submit()"), 'end_session: auto-submit script served');
  // What the script does: submit op.logoutForm, with the logout=yes input associated by form=.
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(logoutPage.html)[1];
  const loggedOut = await browser.go(formOf(logoutPage.html), { method: 'POST', form: { xsrf, logout: 'yes' } });
  check(loggedOut.redirect === `${REDIRECT}?state=bye`, `end_session: redirected to ${loggedOut.redirect}`, loggedOut);
  const afterLogout = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
  check(afterLogout.body.error === 'invalid_grant', 'after sign-out: the refresh token is dead', afterLogout.body);
  const silent = await authorize(browser, { prompt: 'none' });
  check(new URL(silent.page.redirect).searchParams.get('error') === 'login_required',
    'after sign-out: prompt=none gives login_required (the provider session is gone)', silent.page.redirect);

  // The key file is reused across starts.
  await stopProvider();
  provider = await startProvider();
  const jwks2 = await (await fetch(`http://127.0.0.1:${provider.port}/jwks`)).json();
  check(jwks2.keys[0].kid === fileKid, `restart: the key file is reused (kid ${fileKid})`);
  const restarted = await exchange(await signIn(new Browser(), customer.email, customer.password));
  check((await verifyJwt(restarted.body.id_token)).header.kid === fileKid, 'restart: new ID tokens signed with the same kid');

  const noise = provider.log.split('\n').filter((l) => l && !l.startsWith('oidc: issuer'));
  check(noise.length === 0, 'provider log: only the start line', noise.join('\n'));
}

try {
  await main();
  console.log('all OIDC provider checks passed');
} catch (err) {
  console.error(`not ok - ${err.message}`);
  if (provider) console.error(`--- provider log ---\n${provider.log}`);
  process.exitCode = 1;
} finally {
  await stopProvider();
  rmSync(tmp, { recursive: true, force: true });
}
