// Browser tests of the console: headless Chromium (Debian's, through playwright-core) against the
// real local stack that scripts/browser-tests.sh starts or reuses. Every page gets an axe-core scan
// (no serious or critical violation) and a screenshot under .local/browser/; no test may end with a
// console error or a Content-Security-Policy violation on any of its pages (the console is served
// with the deployed CSP). The flows run once in English and once in Polish, with the names a
// screen reader would hear. People sign in as people do: the console's Sign in button, then Email
// and Password on the local OpenID Connect provider's page.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run scripts/browser-tests.sh)`);
  return v;
};
const CONSOLE = env("CONSOLE_URL");
const API = env("API_URL");
// Per-run users of the provider ({sub, email, password, name, token}: the token, signed with the
// provider's key by infra/local/tokens.py, is for the tests' own API calls; the browser signs in).
const USERS = JSON.parse(env("BROWSER_USERS"));
const ISSUER = env("OIDC_ISSUER");
const SHOTS = process.env.SCREENSHOT_DIR ?? join(here, "..", "..", ".local", "browser");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const RUN = Date.now().toString(36);
mkdirSync(SHOTS, { recursive: true });

// The accessible names of CONSOLE.md (English, fixed) and their Polish counterparts.
const NAMES = {
  en: {
    packs: "Packs", incidents: "Incidents", newIncident: "New incident", account: "Account", queue: "Queue",
    claims: "Claims", taxExemptions: "Tax exemptions", reports: "Reports",
    downloadMyData: "Download my data", checkAgain: "Check again", download: "Download", erasureReason: "Reason",
    sendErasure: "Send erasure request", erasureSent: "Your erasure request was sent", erasureRequests: "Erasure requests",
    erase: "Erase",
    billingCountry: "Billing country", buySingle: "Buy a single incident", buyFive: "Buy a 5-pack",
    claimNumber: "Order confirmation number", reason: "Reason", submitClaim: "Submit claim",
    jurisdiction: "Jurisdiction", certificate: "Certificate reference", submitExemption: "Submit exemption",
    product: "Product", category: "Category", severity: "Severity", handling: "Handling", calendar: "Support calendar",
    title: "Title", description: "Description", contactName: "Contact name", contactEmail: "Contact email",
    contactPhone: "Contact phone", firstResponseDue: "First response due", submitIncident: "Submit incident",
    attachFile: "Attach file", message: "Message", sendMessage: "Send message", acceptScope: "Accept scope",
    rejectScope: "Reject scope", requestClosure: "Request closure", closureReason: "Reason",
    response: "Response", channel: "Channel", sendResponse: "Send response", problemStatement: "Problem statement",
    resolutionCriteria: "Resolution criteria", proposeScope: "Propose scope", subTitle: "Sub-problem title",
    subDescription: "Sub-problem description", proposeSub: "Propose sub-problem", solutions: "Solutions",
    markResolved: "Mark resolved", explanation: "Explanation", charge: "Charge", closeUnresolved: "Close unresolved",
    approve: "Approve", reject: "Reject", verify: "Verify", consume: "Consume unit", refund: "Refund unit",
    warning: "Warning", breached: "Breached", remaining: (n, m) => `${n} of ${m} incidents remaining`,
    loadMore: "Load more events", inProgress: "In progress", signIn: "Sign in", chart: "SLA achievement by month", language: "Language",
    signInButton: "Sign in", signOut: "Sign out", signedInAs: "Signed in as", signInNeeded: "You are not signed in, or your session has expired.",
    fromMonth: "From month", toMonth: "To month", showReport: "Show report", breachMonth: "Month of breaches",
    breachesIn: "Breaches in", noBreaches: "No breaches in this month.",
    sev: { A: "A – critical business impact", B: "B – moderate business impact", C: "C – minimal business impact" },
    myIncidents: "My incidents", owner: "Owner", status: "Status", sla: "SLA", take: "Take", assignTo: "Assign to", note: "Note",
    assign: "Assign", release: "Release", unowned: "Unowned", workload: "Open incidents per engineer",
    handed: (a, b) => `Handed over from ${a} to ${b}`, released: (a) => `Released: ${a} no longer owns it`,
    taken: (a) => `Taken by ${a}`, customerOwner: (a) => `Now handled by ${a}`, lostRace: "Another engineer took this incident a moment ago",
    emptyFiltered: "No incident matches these filters.",
    rateTitle: "Rate the handling of your incident", good: "Good", bad: "Bad", comment: "Comment", sendRating: "Send rating",
    rated: "We recorded your rating: bad", invalidLink: "This rating link is not valid or has expired",
    audit: "Audit", auditActor: "Actor (account id)", auditSubject: "Subject (incident, claim or account id)", auditFilter: "Filter",
    resolution: "Resolution", satisfaction: "Satisfaction by month, severity and engineer",
    confirm: "Confirm", cancel: "Cancel", menu: "Menu", closure: "Close this incident", resolveStep: "Resolve",
    unresolvedStep: "Close without a resolution", subStep: "Propose a separate sub-problem", internalNote: "Internal note", addNote: "Add note",
    charges: "Charges to decide", csv: "Download CSV", internal: "Internal", scopeProposed: "Scope proposed",
    withdrawnScope: "Scope proposal withdrawn when the incident was closed", withdrawnSub: (t) => `Sub-problem withdrawn when the incident was closed: ${t}`,
    withdraws: "2 proposals awaiting the customer's decision will be withdrawn", resolved: "Resolved",
  },
  pl: {
    packs: "Pakiety", incidents: "Zgłoszenia", newIncident: "Nowe zgłoszenie", account: "Konto", queue: "Kolejka",
    claims: "Przeniesienia pakietów", taxExemptions: "Zwolnienia podatkowe", reports: "Raporty",
    downloadMyData: "Pobierz moje dane", checkAgain: "Sprawdź ponownie", download: "Pobierz", erasureReason: "Powód",
    sendErasure: "Wyślij wniosek o usunięcie", erasureSent: "Wniosek o usunięcie danych został wysłany", erasureRequests: "Usuwanie danych",
    erase: "Usuń dane",
    billingCountry: "Kraj rozliczenia", buySingle: "Kup pojedyncze zgłoszenie", buyFive: "Kup pakiet 5 zgłoszeń",
    claimNumber: "Numer potwierdzenia zamówienia", reason: "Uzasadnienie", submitClaim: "Wyślij wniosek",
    jurisdiction: "Jurysdykcja", certificate: "Numer zaświadczenia", submitExemption: "Wyślij do weryfikacji",
    product: "Produkt", category: "Kategoria", severity: "Ważność", handling: "Tryb obsługi", calendar: "Kalendarz wsparcia",
    title: "Tytuł", description: "Opis", contactName: "Osoba kontaktowa", contactEmail: "E-mail kontaktowy",
    contactPhone: "Telefon kontaktowy", firstResponseDue: "Termin pierwszej odpowiedzi", submitIncident: "Wyślij zgłoszenie",
    attachFile: "Dołącz plik", message: "Wiadomość", sendMessage: "Wyślij wiadomość", acceptScope: "Akceptuj zakres",
    rejectScope: "Odrzuć zakres", requestClosure: "Zamknij zgłoszenie", closureReason: "Powód",
    response: "Odpowiedź", channel: "Kanał", sendResponse: "Wyślij odpowiedź", problemStatement: "Opis problemu",
    resolutionCriteria: "Kryteria rozwiązania", proposeScope: "Zaproponuj zakres", subTitle: "Tytuł podproblemu",
    subDescription: "Opis podproblemu", proposeSub: "Zaproponuj podproblem", solutions: "Rozwiązania",
    markResolved: "Oznacz jako rozwiązane", explanation: "Wyjaśnienie", charge: "Rozliczenie", closeUnresolved: "Zamknij bez rozwiązania",
    approve: "Zatwierdź", reject: "Odrzuć", verify: "Zweryfikuj", consume: "Rozlicz z pakietu", refund: "Zwróć do pakietu",
    warning: "Ostrzeżenie", breached: "Przekroczony", remaining: (n, m) => `Pozostało zgłoszeń: ${n} z ${m}`,
    loadMore: "Wczytaj kolejne zdarzenia", inProgress: "W toku", signIn: "Logowanie", chart: "Dotrzymanie SLA w poszczególnych miesiącach", language: "Język",
    signInButton: "Zaloguj się", signOut: "Wyloguj", signedInAs: "Zalogowano jako", signInNeeded: "Nie jesteś zalogowany albo Twoja sesja wygasła.",
    fromMonth: "Od miesiąca", toMonth: "Do miesiąca", showReport: "Pokaż raport", breachMonth: "Miesiąc przekroczeń",
    breachesIn: "Przekroczenia w miesiącu", noBreaches: "Brak przekroczeń w tym miesiącu.",
    // The vendor's FAQ (SPEC S2), word for word.
    sev: { A: "A – krytyczne znaczenie biznesowe", B: "B – średnie znaczenie biznesowe", C: "C – minimalne znaczenie biznesowe" },
    myIncidents: "Moje zgłoszenia", owner: "Opiekun", status: "Status", sla: "SLA", take: "Przejmij", assignTo: "Przypisz do", note: "Notatka",
    assign: "Przypisz", release: "Zwolnij", unowned: "Bez opiekuna", workload: "Otwarte zgłoszenia poszczególnych inżynierów",
    handed: (a, b) => `Przekazanie zgłoszenia. Poprzedni opiekun: ${a}, nowy opiekun: ${b}`,
    released: (a) => `Zwolnienie zgłoszenia. Poprzedni opiekun: ${a}`, taken: (a) => `Przejęcie zgłoszenia. Opiekun: ${a}`,
    customerOwner: (a) => `Zgłoszeniem zajmuje się teraz: ${a}`, lostRace: "Przed chwilą to zgłoszenie przejął inny inżynier",
    emptyFiltered: "Żadne zgłoszenie nie pasuje do tych filtrów.",
    rateTitle: "Oceń obsługę zgłoszenia", good: "Dobrze", bad: "Źle", comment: "Komentarz", sendRating: "Wyślij ocenę",
    rated: "Zapisaliśmy Twoją ocenę: źle", invalidLink: "Ten link do oceny jest nieprawidłowy albo wygasł",
    audit: "Audyt", auditActor: "Kto (identyfikator konta)", auditSubject: "Czego dotyczy (identyfikator zgłoszenia, roszczenia lub konta)",
    auditFilter: "Filtruj", resolution: "Zamknięcie zgłoszenia", satisfaction: "Zadowolenie według miesiąca, ważności i inżyniera",
    confirm: "Potwierdź", cancel: "Anuluj", menu: "Menu", closure: "Zamknięcie zgłoszenia", resolveStep: "Zamknięcie z rozwiązaniem",
    unresolvedStep: "Zamknięcie bez rozwiązania", subStep: "Zaproponuj osobny podproblem", internalNote: "Notatka wewnętrzna", addNote: "Dodaj notatkę",
    charges: "Rozliczenia do decyzji", csv: "Pobierz CSV", internal: "Wewnętrzna", scopeProposed: "Zaproponowano zakres",
    withdrawnScope: "Propozycja zakresu wycofana przy zamknięciu zgłoszenia", withdrawnSub: (t) => `Podproblem wycofany przy zamknięciu zgłoszenia: ${t}`,
    withdraws: "2 propozycje czekające na decyzję klienta zostaną wycofane", resolved: "Rozwiązane",
  },
};

let browser;
const timings = [];
// API.md routes the console calls that the stack under test may not have yet (parts of the API
// built in parallel). Probed once: the emulator answers an unrouted path with its own plain 404,
// not problem+json. The flow that needs such a route fails naming it; other pages' console
// errors for it are not counted again.
const MISSING = [];
const MISSING_NAMES = [];
const PROBES = [
  ["GET /offers", "/offers?billing_country=PL", /\/offers\?/],
  ["GET /tax-exemptions", "/tax-exemptions?status=pending", /\/tax-exemptions\?/],
  ["GET /incidents/{id}/timeline", "/incidents/probe/timeline", /\/incidents\/[^/]+\/timeline/],
  ["POST /incidents/{id}/notes", "/incidents/probe/notes", /\/incidents\/[^/]+\/notes/, "POST"],
];
const missingRoute = (name) => assert.ok(!MISSING_NAMES.includes(name), `${name} is not in the stack under test (API part not merged yet)`);
before(async () => {
  for (const [name, path, re, method = "GET"] of PROBES) {
    const res = await fetch(`${API}${path}`, { method, headers: { Authorization: `Bearer ${USERS.admin.token}`, "Content-Type": "application/json" }, ...(method === "POST" ? { body: "{}" } : {}) });
    // The gateway's own 404 for a path no route has: not the API's problem+json (which has a `code`).
    const body = await res.text();
    if (res.status === 404 && !/"code"\s*:/.test(body)) {
      MISSING.push(re);
      MISSING_NAMES.push(name);
    }
  }
  if (MISSING_NAMES.length) console.log(`# routes missing from the stack under test: ${MISSING_NAMES.join(", ")}`);
  browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  await browser?.close();
  writeFileSync(join(SHOTS, "first-render.json"), JSON.stringify(timings, null, 2));
});

// Pages still open after a test are those of a failed one: keep a picture of where it stopped.
// Every tab of the test, closed or not, must have ended without a console error (beyond those its
// check() allowed) and without a CSP violation: a failing afterEach hook fails the test.
const openTabs = new Set();
let testTabs = [];
afterEach(async (t) => {
  let i = 0;
  for (const tab of openTabs) {
    const slug = t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    await tab.page.screenshot({ path: join(SHOTS, `FAILED-${slug}-${i++}.png`), fullPage: true }).catch(() => {});
    if (tab.errors.length) console.log(`# console errors of ${t.name}: ${JSON.stringify(tab.errors)}`);
    await tab.context.close().catch(() => {});
  }
  openTabs.clear();
  const unexpected = testTabs.flatMap((tab) => tab.errors.filter((e) => !tab.allowed.some((re) => re.test(e))));
  testTabs = [];
  assert.deepEqual(unexpected, [], `console errors or CSP violations in ${t.name}`);
});

/**
 * A new browser context (one person) in a language, on a page not yet loaded. It collects console
 * errors and page errors of every page of the context (console and provider), and reports each
 * CSP violation as a console error through a `securitypolicyviolation` listener installed before
 * any page script runs. allowErrors: expected ones (e.g. a 401 the test provokes).
 */
async function newTab(lang, { allowErrors = [] } = {}) {
  const context = await browser.newContext({
    locale: lang === "pl" ? "pl-PL" : "en-GB",
    timezoneId: lang === "pl" ? "Europe/Warsaw" : "America/New_York",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(15_000);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "(inline)"} in ${e.documentURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = m.location()?.url ?? "";
    // A route missing from this build is reported once, by the test of its flow (see MISSING).
    if (/status of 404/.test(m.text()) && MISSING.some((r) => r.test(url))) return;
    errors.push(`${m.text()} ${url}`);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  const tab = { page, context, errors, allowed: [...allowErrors], n: NAMES[lang], lang };
  openTabs.add(tab);
  testTabs.push(tab);
  context.on("close", () => openTabs.delete(tab));
  return tab;
}

/** On the provider's login page: Email, Password, Sign in. */
async function fillLogin(page, who, password = USERS[who].password) {
  await page.getByLabel("Email", { exact: true }).fill(USERS[who].email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const onProvider = (page) => page.url().startsWith(`${ISSUER}/`);

/** From the console's sign-in prompt: its Sign in button, the provider's page, back signed in. */
async function signIn(tab, who) {
  const { page, n } = tab;
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${ISSUER}/`));
  await page.getByLabel("Password", { exact: true }).waitFor();
  const submitted = Date.now();
  await fillLogin(page, who);
  await signedIn(tab, who);
  return submitted;
}

/** Back on the console, signed in as who, with nothing of the sign-in left in the address. */
async function signedIn(tab, who) {
  const { page, n } = tab;
  await page.waitForURL((u) => u.href.startsWith(`${CONSOLE}/`) && !u.searchParams.has("code"));
  await page.getByRole("button", { name: n.signOut, exact: true }).waitFor();
  await page.getByText(`${n.signedInAs} ${USERS[who].email}`).waitFor();
  const url = new URL(page.url());
  for (const p of ["code", "state", "token", "id_token", "access_token"]) assert.ok(!url.searchParams.has(p), `no ${p} in the address`);
  assert.ok(!url.hash.includes("token"), "no token in the address");
  // Tokens stay in the tab's sessionStorage; nothing in localStorage.
  assert.deepEqual(await page.evaluate(() => Object.keys(window.localStorage)), [], "localStorage stays empty");
}

/** A signed-in tab in a language at path: opens the console there and signs in through the provider. */
async function open(who, lang, path = "/") {
  const tab = await newTab(lang);
  const { page, n } = tab;
  const started = Date.now();
  await page.goto(`${CONSOLE}${path}`);
  await page.getByRole("heading", { level: 1, name: n.signIn }).waitFor();
  const firstRender = Date.now() - started;
  const submitted = await signIn(tab, who);
  await page.locator("h1").first().waitFor();
  // first_render_ms: the signed-out page; signed_in_render_ms: from submitting the provider's form
  // to the page asked for (the redirects and the code exchange included).
  timings.push({ who, lang, path, first_render_ms: firstRender, signed_in_render_ms: Date.now() - submitted });
  const asked = new URL(`${CONSOLE}${path}`).pathname;
  if (asked !== "/") assert.equal(new URL(page.url()).pathname, asked, "back on the page asked for");
  return tab;
}

/** axe-core: no serious or critical violation on the page as it is now. */
async function axe(tab, label) {
  const { page } = tab;
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe: serious/critical violations on ${label}`);
}

/** The page scrolls only down: nothing is wider than the window (tables scroll in their own box). */
async function noSideScroll(page, label) {
  const { scroll, client, wide } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => !e.closest(".table-wrap, .skip, .sr-only") && e.getClientRects().length > 0)
      .filter((e) => e.getBoundingClientRect().right > client + 1 || e.getBoundingClientRect().left < -1)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
  assert.ok(scroll <= client && wide.length === 0, `${label}: the page is wider than the window (${scroll} > ${client}): ${wide}`);
  // No value squeezed into a sliver beside its label (text one letter per line).
  const squeezed = await page.evaluate(() =>
    [...document.querySelectorAll("dd")].filter((d) => d.textContent.trim().length > 3 && d.getClientRects().length > 0 && d.getBoundingClientRect().width < 64)
      .slice(0, 3).map((d) => d.textContent.trim().slice(0, 30)));
  assert.deepEqual(squeezed, [], `${label}: values squeezed beside their labels`);
}

/**
 * Screenshots of the page at 1280 and 390 px (.local/browser/<lang>-<name>.png and -390.png), axe at
 * both widths, no sideways scroll at phone width, no console error.
 */
async function check(tab, name, { allowErrors = [], phone = true } = {}) {
  const { page, errors, lang } = tab;
  tab.allowed.push(...allowErrors);
  await page.waitForLoadState("networkidle");
  const size = page.viewportSize();
  await page.screenshot({ path: join(SHOTS, `${lang}-${name}.png`), fullPage: true });
  await axe(tab, `${lang}/${name}`);
  if (phone) await noSideScroll(page, `${lang}/${name} at ${size.width} px`);
  if (!phone) {
    // A page that is not the console's (the provider's login page): one width only.
  } else if (size.width > 390) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SHOTS, `${lang}-${name}-390.png`), fullPage: true });
    await noSideScroll(page, `${lang}/${name} at 390 px`);
    await axe(tab, `${lang}/${name} at 390 px`);
    await page.setViewportSize(size);
  } else {
    await noSideScroll(page, `${lang}/${name} at ${size.width} px`);
  }
  const unexpected = errors.filter((e) => !allowErrors.some((re) => re.test(e)));
  assert.deepEqual(unexpected, [], `console errors on ${lang}/${name}`);
}

/** A confirmation dialog: its words, then Confirm or Cancel. */
async function dialog(tab, answer, words = []) {
  const d = tab.page.getByRole("dialog");
  await d.waitFor();
  for (const w of words) await d.getByText(w).first().waitFor();
  await d.getByRole("button", { name: answer === "confirm" ? tab.n.confirm : tab.n.cancel, exact: true }).click();
  await d.waitFor({ state: "hidden" });
}

/** Opens a folded step of the incident page (a <details> whose summary names it). */
async function unfold(tab, summary) {
  const s = tab.page.locator("summary").filter({ hasText: summary }).first();
  const open = await s.evaluate((e) => e.parentElement.open);
  if (!open) await s.click();
}

/** Focus is on the result of the last action: a timeline entry or an alert/status. */
async function focusOnResult(page, what = ".timeline > li, [role=alert], [role=status]") {
  await page.waitForFunction((sel) => document.activeElement?.matches(sel), what, { timeout: 5000 });
}

const nav = (tab, name) => tab.page.getByRole("navigation").getByRole("link", { name, exact: true }).click();
const button = (tab, name) => tab.page.getByRole("button", { name, exact: true });

async function api(who, method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${USERS[who].token}`, "Content-Type": "application/json", "Idempotency-Key": `bt-${RUN}-${Math.random()}` },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

for (const lang of ["en", "pl"]) {
  const customer = `customer_${lang}`;
  const claimant = `claimant_${lang}`;
  const title = `${lang === "pl" ? "Serwer nie startuje po aktualizacji" : "Server does not start after the update"} ${RUN}`;
  const state = {};

  test(`${lang}: customer sees the price of each offer for the billing country before buying`, async () => {
    missingRoute("GET /offers");
    const tab = await open(customer, lang);
    const { page, n } = tab;
    await nav(tab, n.packs);
    await page.getByRole("heading", { level: 1, name: n.packs }).waitFor();
    await page.getByLabel(n.billingCountry).selectOption("PL");
    for (const offer of await page.locator(".offer").all()) await offer.getByText(/zł|PLN/).first().waitFor();
    await page.getByLabel(n.billingCountry).selectOption("DE");
    for (const offer of await page.locator(".offer").all()) await offer.getByText(/€|EUR/).first().waitFor();
    await check(tab, "packs-prices");
    await tab.context.close();
  });

  test(`${lang}: customer buys a 5-pack, sees its balance, expiry and order number`, async () => {
    const tab = await open(customer, lang);
    const { page, n } = tab;
    await nav(tab, n.packs);
    await page.getByRole("heading", { level: 1, name: n.packs }).waitFor();
    await page.getByLabel(n.billingCountry).selectOption("PL");
    await button(tab, n.buyFive).click();
    const card = page.locator(".pack").filter({ hasText: n.remaining(5, 5) });
    await card.waitFor();
    const number = (await card.textContent()).match(/[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}/)?.[0];
    assert.ok(number, "the pack shows its order confirmation number");
    state.orderNumber = number;
    await check(tab, "packs");
    await tab.context.close();
  });

  const need = (...keys) => keys.forEach((k) => assert.ok(state[k], `needs ${k} from an earlier test`));

  test(`${lang}: customer quotes and submits an incident (a double click submits once) and sees it in the list`, async () => {
    need("orderNumber");
    const tab = await open(customer, lang);
    const { page, n } = tab;
    await nav(tab, n.newIncident);
    await page.getByLabel(n.product).selectOption("office-ltsc-2024");
    await page.getByLabel(n.category).selectOption("configuration");
    // The quote is asked for when the severity is chosen; from here on the clock runs.
    const quotedFrom = Date.now();
    // Severities in the FAQ's words, option values the API's.
    for (const [value, words] of Object.entries(n.sev)) assert.equal(await page.getByLabel(n.severity).locator(`option[value="${value}"]`).textContent(), words);
    await page.getByLabel(n.severity).selectOption("B");
    await page.getByLabel(n.handling).selectOption("business_hours");
    await page.getByLabel(n.calendar).selectOption("PL");
    await page.getByLabel(n.title, { exact: true }).fill(title);
    await page.getByLabel(n.description, { exact: true }).fill(lang === "pl" ? "Po instalacji poprawki usługa kończy pracę z błędem 1067." : "After the patch the service stops with error 1067.");
    await page.getByLabel(n.contactName).fill(lang === "pl" ? "Zofia Łęcka" : "Ada Lovelace");
    await page.getByLabel(n.contactEmail).fill("contact@example.com");
    await page.getByLabel(n.contactPhone).fill("+48 600 100 200");
    // The quote: First response due with an instant, and the pack to be drawn.
    const quote = page.getByLabel(n.firstResponseDue);
    await quote.locator("time").waitFor();
    const due = await quote.locator("time").getAttribute("datetime");
    assert.match(due, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await page.getByText(state.orderNumber).waitFor();
    await check(tab, "new-incident");
    await button(tab, n.submitIncident).dblclick();
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    state.incidentId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
    const submittedBy = Date.now();
    // The deadline is fixed at intake by the quote's computation for the submission instant. Inside
    // business hours that instant's deadline is later than the one shown a moment earlier, by no more
    // than the wall time between the quote and the submission (plus the second both are rounded to).
    const shown = await page.locator("dl.summary time").first().getAttribute("datetime");
    const incident = await api(customer, "GET", `/incidents/${encodeURIComponent(state.incidentId)}`);
    assert.equal(incident.status, 200);
    assert.equal(shown, incident.json.first_response_due_at, "the incident page shows the incident's deadline");
    const atIntake = await api(customer, "GET", `/sla/quote?severity=B&calendar=PL&at=${encodeURIComponent(incident.json.created_at)}`);
    assert.equal(atIntake.status, 200);
    assert.equal(shown, atIntake.json.first_response_due_at, "the incident's deadline is the quote for its submission instant");
    const drift = Date.parse(shown) - Date.parse(due);
    assert.ok(drift >= 0 && drift <= submittedBy - quotedFrom + 1000, `the deadline ${shown} is the quoted ${due} or later by at most the time that passed`);
    await check(tab, "incident-submitted");
    await nav(tab, n.incidents);
    const links = page.getByRole("table").getByRole("link", { name: title, exact: true });
    await links.first().waitFor();
    assert.equal(await links.count(), 1, "a double click submitted one incident");
    await check(tab, "incidents");
    const packs = await api(customer, "GET", "/packs");
    const pack = packs.json.items.find((p) => p.order_confirmation_number === state.orderNumber);
    assert.equal(pack.incidents_remaining, 4, "exactly one unit was drawn");
    await tab.context.close();
  });

  test(`${lang}: an out-of-scope category is explained before and refused in words after submission`, async () => {
    const tab = await open(customer, lang, "/incidents/new");
    const { page, n } = tab;
    await page.getByLabel(n.product).selectOption("office-ltsc-2024");
    await page.getByLabel(n.category).selectOption("feature_request");
    await page.locator(".warnings").waitFor();
    await page.getByLabel(n.severity).selectOption("C");
    await page.getByLabel(n.title, { exact: true }).fill(`Dark mode ${RUN}`);
    await page.getByLabel(n.description, { exact: true }).fill("Please add a dark mode.");
    await page.getByLabel(n.contactName).fill("Ada");
    await page.getByLabel(n.contactEmail).fill("contact@example.com");
    await button(tab, n.submitIncident).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    const text = await alert.textContent();
    assert.ok(text.length > 20 && !text.includes("{") && !text.includes("out_of_scope"), `refusal in words: ${text}`);
    await check(tab, "refusal", { allowErrors: [/status of 422/] });
    await tab.context.close();
  });

  test(`${lang}: engineer sees the incident in the queue with a live countdown, Breached once past its deadline`, async () => {
    need("incidentId");
    const tab = await open("engineer", lang);
    const { page, n } = tab;
    await nav(tab, n.queue);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: title, exact: true }) });
    await row.waitFor();
    const timer = row.getByRole("timer");
    const first = await timer.textContent();
    await page.waitForTimeout(1500);
    assert.notEqual(await timer.textContent(), first, "the countdown runs");
    assert.equal(await row.getByText(n.breached, { exact: true }).count(), 0);
    await check(tab, "queue");
    const inc = (await api("engineer", "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json;
    await page.clock.setFixedTime(new Date(Date.parse(inc.first_response_due_at) + 60_000));
    await row.getByText(n.breached, { exact: true }).waitFor();
    await check(tab, "queue-breached");
    await tab.context.close();
  });

  test(`${lang}: engineer sees Warning in the queue row once past first_response_warn_at`, async () => {
    need("incidentId");
    const inc = (await api("engineer", "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json;
    assert.ok(inc.first_response_warn_at, "the API gives first_response_warn_at");
    const tab = await open("engineer", lang, "/queue");
    const { page, n } = tab;
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: title, exact: true }) });
    await row.waitFor();
    assert.equal(await row.getByText(n.warning, { exact: true }).count(), 0);
    await page.clock.setFixedTime(new Date(Date.parse(inc.first_response_warn_at) + 60_000));
    await row.getByText(n.warning, { exact: true }).waitFor();
    await check(tab, "queue-warning");
    await tab.context.close();
  });

  test(`${lang}: engineer answers and proposes a scope`, async () => {
    need("incidentId");
    const tab = await open("engineer", lang, "/queue");
    const { page, n } = tab;
    await page.getByRole("link", { name: title, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await page.getByLabel(n.response, { exact: true }).fill(lang === "pl" ? "Proszę przesłać dziennik zdarzeń systemu." : "Please send the system event log.");
    await page.getByLabel(n.channel).selectOption("email");
    await button(tab, n.sendResponse).click();
    await page.getByText(n.inProgress).first().waitFor();
    await page.getByLabel(n.problemStatement).fill(lang === "pl" ? "Usługa nie uruchamia się po poprawce." : "The service fails to start after the patch.");
    await page.getByLabel(n.resolutionCriteria).fill(lang === "pl" ? "Usługa działa po restarcie." : "The service runs after a restart.");
    await button(tab, n.proposeScope).click();
    await page.locator(".timeline").getByText(n.scopeProposed, { exact: true }).waitFor();
    await focusOnResult(page, ".timeline > li");
    // While the proposal awaits the customer, Propose scope is not offered again.
    assert.equal(await button(tab, n.proposeScope).count(), 0, "no Propose scope while a proposal is pending");
    await check(tab, "incident-engineer");
    await tab.context.close();
  });

  test(`${lang}: customer sees the response, accepts the scope and uploads a file`, async () => {
    need("incidentId");
    const tab = await open(customer, lang, `/incidents/${encodeURIComponent(state.incidentId)}`);
    const { page, n } = tab;
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await page.getByText(lang === "pl" ? "Proszę przesłać dziennik zdarzeń systemu." : "Please send the system event log.").waitFor();
    await button(tab, n.acceptScope).click();
    await button(tab, n.acceptScope).waitFor({ state: "detached" });
    const inc = (await api(customer, "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json;
    assert.equal(inc.scope.status, "accepted");
    await page.getByLabel(n.message, { exact: true }).fill(lang === "pl" ? "Dziękuję, dziennik w załączniku." : "Thanks, the log is attached.");
    await button(tab, n.sendMessage).click();
    await page.locator(".timeline").getByText(lang === "pl" ? "Dziękuję, dziennik w załączniku." : "Thanks, the log is attached.").waitFor();
    // Focus goes to the new entry, not to the page.
    await focusOnResult(page, ".timeline > li");
    assert.match(await page.evaluate(() => document.activeElement.textContent), lang === "pl" ? /Dziękuję, dziennik/ : /Thanks, the log/);
    const name = `system-${lang}.log`;
    await page.getByLabel(n.attachFile).setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from("Event 1067: service terminated\n".repeat(20)) });
    const link = page.getByRole("link", { name, exact: true });
    await link.waitFor();
    const href = await link.getAttribute("href");
    const download = await fetch(href);
    assert.equal(download.status, 200, "the download link serves the file");
    assert.match(await download.text(), /Event 1067/);
    await check(tab, "incident-customer");
    await tab.context.close();
  });

  test(`${lang}: another customer claims the pack and an admin approves the claim`, async () => {
    need("orderNumber");
    const tab = await open(claimant, lang, "/packs");
    const { page, n } = tab;
    await page.getByLabel(n.claimNumber).fill(state.orderNumber);
    await page.getByLabel(n.reason, { exact: true }).fill(lang === "pl" ? "Pakiet kupił nasz dział zakupów." : "Our purchasing department bought it.");
    await button(tab, n.submitClaim).click();
    await page.getByRole("status").filter({ hasText: /./ }).first().waitFor();
    await check(tab, "claim");

    const admin = await open("admin", lang);
    await nav(admin, admin.n.claims);
    const card = admin.page.locator("li.card").filter({ hasText: USERS[claimant].sub });
    await card.getByRole("button", { name: admin.n.approve, exact: true }).waitFor();
    // The pack by the order confirmation number the claimant typed, not by its id.
    await card.getByText(state.orderNumber, { exact: true }).waitFor();
    await check(admin, "claims");
    await card.getByRole("button", { name: admin.n.approve, exact: true }).click();
    await card.waitFor({ state: "detached" });
    await admin.context.close();

    await page.reload();
    await page.locator(".pack").filter({ hasText: state.orderNumber }).waitFor();
    await tab.context.close();
  });

  test(`${lang}: customer submits a tax exemption and an admin verifies it`, async () => {
    missingRoute("GET /tax-exemptions");
    const tab = await open(claimant, lang, "/account");
    const { page, n } = tab;
    await page.getByLabel(n.jurisdiction).fill("PL");
    await page.getByLabel(n.certificate).fill(`ZW-${RUN}`);
    await button(tab, n.submitExemption).click();
    await page.getByText(lang === "pl" ? "Oczekuje na weryfikację" : "Pending verification").first().waitFor();
    await check(tab, "account");
    const admin = await open("admin", lang);
    await nav(admin, admin.n.taxExemptions);
    const card = admin.page.locator("li.card").filter({ hasText: USERS[claimant].sub });
    await card.getByRole("button", { name: admin.n.verify, exact: true }).waitFor();
    await check(admin, "tax-exemptions");
    await card.getByRole("button", { name: admin.n.verify, exact: true }).click();
    await card.waitFor({ state: "detached" });
    await admin.context.close();
    await page.reload();
    await page.getByText(lang === "pl" ? "Zweryfikowane" : "Verified").first().waitFor();
    await tab.context.close();
  });

  test(`${lang}: customer closes early and an admin decides the charge`, async () => {
    need("incidentId");
    const tab = await open(customer, lang, `/incidents/${encodeURIComponent(state.incidentId)}`);
    const { page, n } = tab;
    await unfold(tab, n.closure);
    await page.getByLabel(n.closureReason, { exact: true }).fill(lang === "pl" ? "Rozwiązaliśmy to sami." : "We solved it ourselves.");
    // Cancel does nothing; Confirm closes.
    await button(tab, n.requestClosure).click();
    await dialog(tab, "cancel");
    assert.equal((await api(customer, "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json.status, "in_progress", "Cancel closed nothing");
    await button(tab, n.requestClosure).click();
    await check(tab, "dialog-closure");
    await dialog(tab, "confirm");
    await button(tab, n.requestClosure).waitFor({ state: "detached" });
    await focusOnResult(page);
    assert.equal((await api(customer, "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json.status, "closed_by_customer");
    await tab.context.close();

    const admin = await open("admin", lang, `/incidents/${encodeURIComponent(state.incidentId)}`);
    await admin.page.getByRole("heading", { level: 1, name: title }).waitFor();
    await button(admin, admin.n.refund).waitFor();
    await check(admin, "charge-decision");
    await button(admin, admin.n.refund).click();
    await dialog(admin, "cancel");
    assert.equal((await api("admin", "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json.charge, "pending", "Cancel decided nothing");
    await button(admin, admin.n.refund).click();
    await dialog(admin, "confirm");
    await button(admin, admin.n.refund).waitFor({ state: "detached" });
    const inc = (await api("admin", "GET", `/incidents/${encodeURIComponent(state.incidentId)}`)).json;
    assert.equal(inc.charge, "refunded");
    state.dueMonth = inc.first_response_due_at.slice(0, 7);
    await admin.context.close();
  });

  test(`${lang}: an admin reads the SLA report as a chart, a table and the month's breaches`, async () => {
    need("dueMonth");
    const admin = await open("admin", lang);
    const { page, n } = admin;
    await nav(admin, n.reports);
    await page.getByRole("img", { name: n.chart }).waitFor();
    const month = state.dueMonth;
    await page.getByLabel(n.fromMonth).fill(month);
    await page.getByLabel(n.toMonth).fill(month);
    await button(admin, n.showReport).click();
    const report = (await api("admin", "GET", `/reports/sla?from=${month}&to=${month}`)).json;
    const row = report.items.find((r) => r.month === month && r.calendar === "PL" && r.severity === "B");
    assert.ok(row && row.met >= 1, "the report counts the answered incident");
    const tableRow = page.getByRole("table").getByRole("row").filter({ has: page.getByRole("cell", { name: "PL", exact: true }) })
      .filter({ has: page.getByRole("cell", { name: n.sev.B, exact: true }) });
    await tableRow.getByRole("cell", { name: String(row.met), exact: true }).first().waitFor();
    await page.getByLabel(n.breachMonth).selectOption(month);
    const breaches = (await api("admin", "GET", `/reports/sla/breaches?month=${month}`)).json;
    const list = page.getByRole("region", { name: new RegExp(n.breachesIn) });
    await list.waitFor();
    if (breaches.items.length > 0) await list.getByRole("link", { name: breaches.items[0].number ?? breaches.items[0].incident_id, exact: true }).waitFor();
    else await list.getByText(n.noBreaches).waitFor();
    await check(admin, "reports");
    await admin.context.close();
  });

  // ---- e-mailed replies (v3): the contact answers the confirmation's Reply-To ----

  test(`${lang}: a reply e-mailed to the confirmation's Reply-To shows on the incident page with its attachment`, async () => {
    const moto = env("AWS_ENDPOINT_URL_DYNAMODB");
    const smtpPort = env("SMTP_PORT");
    const contact = `bt-${RUN}-reply-${lang}@example.com`;
    const words = lang === "pl" ? "Kopia zapasowa kończy się błędem" : "The backup ends with an error";
    const bought = await api(customer, "POST", "/packs", { offer: "five_pack", billing_country: lang === "pl" ? "PL" : "GB" });
    assert.equal(bought.status, 201, JSON.stringify(bought.json));
    const created = await api(customer, "POST", "/incidents", {
      product_id: "office-ltsc-2024", category: "connectivity", severity: "C", handling: "business_hours", calendar: lang === "pl" ? "PL" : "US",
      title: `${words} ${RUN}`, description: words, contact: { name: "Ola", email: contact, language: lang }, pack_id: bought.json.pack_id,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = created.json.incident_id;
    // The confirmation in the local SES's outbox, and the reply address it carries.
    let replyTo;
    for (const deadline = Date.now() + 120_000; !replyTo; await new Promise((r) => setTimeout(r, 500))) {
      assert.ok(Date.now() < deadline, `no confirmation to ${contact} in the local SES outbox`);
      const data = await (await fetch(`${moto}/moto-api/data.json`)).json();
      const mail = (data.ses?.Message ?? []).find((m) => (m.destinations?.ToAddresses ?? []).includes(contact) && (m.reply_to ?? []).length > 0);
      replyTo = mail?.reply_to[0];
    }
    assert.match(replyTo, /^reply\+[^@]+@/, "the confirmation's Reply-To is the incident's reply address");
    // Answered as a mail client does: through the local SMTP server, with a file attached.
    const text = lang === "pl" ? `Błąd wraca co noc o 2:00. Log w załączniku. ${RUN}` : `The error comes back every night at 2 am. The log is attached. ${RUN}`;
    const file = `backup-${lang}.log`;
    execFileSync("python3", ["-c", `
import smtplib, sys
from email.message import EmailMessage
from email.utils import make_msgid
port, sender, to, text, name = sys.argv[1:6]
m = EmailMessage()
m["From"], m["To"], m["Subject"], m["Message-ID"] = sender, to, "Re: incident", make_msgid(domain="example.com")
m.set_content(text)
m.add_attachment(b"02:00:01 backup failed: disk full\\n", maintype="text", subtype="plain", filename=name)
with smtplib.SMTP("127.0.0.1", int(port), timeout=60) as s:
    s.send_message(m)
`, smtpPort, contact, replyTo, text, file], { stdio: ["ignore", "inherit", "inherit"] });
    for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const items = (await api(customer, "GET", `/incidents/${encodeURIComponent(id)}/timeline?limit=100`)).json?.items ?? [];
      if (items.some((e) => e.kind === "customer_message" && e.channel === "email")) break;
      assert.ok(Date.now() < deadline, `the e-mailed reply was not posted to ${id}`);
    }
    const tab = await open(customer, lang, `/incidents/${encodeURIComponent(id)}`);
    const { page } = tab;
    const byEmail = lang === "pl" ? "Wiadomość od klienta (e-mailem)" : "Message from the customer (by e-mail)";
    await page.locator(".timeline").getByText(byEmail, { exact: true }).first().waitFor();
    await page.locator(".timeline").getByText(text).first().waitFor();
    await page.getByRole("heading", { level: 2, name: lang === "pl" ? "Załączniki" : "Attachments", exact: true }).waitFor();
    await page.locator("ul.attachments").getByText(file).first().waitFor();
    await check(tab, "incident-emailed-reply");
    await tab.context.close();
  });

  // ---- ownership (v3): take, hand over with a note, My incidents, release, filters, workload ----

  /** A fresh incident of the customer's (from a pack of its own), made through the API. */
  const incidentOf = async (severity, words) => {
    const bought = await api(customer, "POST", "/packs", { offer: "five_pack", billing_country: lang === "pl" ? "PL" : "GB" });
    assert.equal(bought.status, 201, JSON.stringify(bought.json));
    const body = {
      product_id: "office-ltsc-2024", category: "connectivity", severity, handling: severity === "A" ? "24x7" : "business_hours", calendar: "PL",
      title: `${words} ${RUN}`, description: words, contact: { name: "Ola", email: "ola@example.com", phone: "+48 600 100 200" }, pack_id: bought.json.pack_id,
    };
    const created = await api(customer, "POST", "/incidents", body);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return { id: created.json.incident_id, title: body.title, path: `/incidents/${encodeURIComponent(created.json.incident_id)}` };
  };
  // Engineers are known to the desk (GET /engineers, Assign to) once they have used the API.
  const registerEngineers = async () => {
    for (const who of ["engineer", "engineer2"]) assert.equal((await api(who, "GET", "/queue?owner=me")).status, 200);
  };
  const [ed, marian] = [USERS.engineer, USERS.engineer2];

  test(`${lang}: an engineer takes an incident from the queue and hands it over with a note; the other sees it under My incidents and hands it back; the customer sees who handles it; release`, async () => {
    await registerEngineers();
    const inc = await incidentOf("C", lang === "pl" ? "Drukarka sieciowa nie drukuje" : "Network printer does not print");
    const note = lang === "pl" ? "Klient prosi o telefon po 15:00." : "Customer asks for a call after 3 pm.";
    const tab = await open("engineer", lang, "/queue");
    const { page, n } = tab;
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: inc.title, exact: true }) });
    await row.getByText(n.unowned, { exact: true }).waitFor();
    await row.getByRole("button", { name: n.take, exact: true }).click();
    await row.getByText(ed.name, { exact: true }).waitFor();
    assert.equal(await row.getByRole("button", { name: n.take, exact: true }).count(), 0, "no Take once owned");
    assert.equal((await api("engineer", "GET", inc.path)).json.owner.account_id, ed.sub);
    await check(tab, "queue-owner");

    await row.getByRole("link", { name: inc.title, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    await page.locator("dl.summary").getByText(ed.name, { exact: true }).waitFor();
    await page.locator(".timeline").getByText(n.taken(ed.name), { exact: true }).waitFor();
    // The engineers come from GET /engineers, which may answer after the page shows the incident.
    await page.getByLabel(n.assignTo).locator(`option[value="${marian.sub}"]`).waitFor({ state: "attached" });
    const options = await page.getByLabel(n.assignTo).locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes(marian.sub) && !options.includes(ed.sub), `Assign to offers the other engineers by account id: ${options}`);
    await page.getByLabel(n.assignTo).selectOption(marian.sub);
    await page.getByLabel(n.note, { exact: true }).fill(note);
    await button(tab, n.assign).click();
    await page.locator(".timeline").getByText(n.handed(ed.name, marian.name), { exact: true }).waitFor();
    await page.locator(".timeline").getByText(note, { exact: true }).waitFor();
    await page.locator("dl.summary").getByText(marian.name, { exact: true }).waitFor();
    assert.equal(await button(tab, n.release).count(), 0, "Release only for the owner (or an admin)");
    await check(tab, "incident-handed-over");
    await tab.context.close();

    // The customer: the engineer who handles it now, by name; nothing else about staff.
    const cust = await open(customer, lang, inc.path);
    await cust.page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    await cust.page.locator("dl.summary").getByText(marian.name, { exact: true }).waitFor();
    await cust.page.locator(".timeline").getByText(n.customerOwner(marian.name), { exact: true }).waitFor();
    for (const hidden of [note, ed.name, marian.sub, ed.sub]) assert.equal(await cust.page.getByText(hidden).count(), 0, `the customer does not see ${hidden}`);
    assert.equal(await button(cust, n.take).count() + await button(cust, n.assign).count(), 0, "no ownership controls for the customer");
    await check(cust, "incident-customer-owner");
    await cust.page.setViewportSize({ width: 390, height: 844 });
    await check(cust, "incident-customer-owner-390");
    await cust.context.close();

    // The new owner finds it under My incidents and hands it back.
    const other = await open("engineer2", lang);
    await nav(other, n.myIncidents);
    await other.page.getByRole("heading", { level: 1, name: n.myIncidents }).waitFor();
    await other.page.getByRole("table").getByRole("link", { name: inc.title, exact: true }).waitFor();
    await check(other, "my-incidents");
    await other.page.getByRole("table").getByRole("link", { name: inc.title, exact: true }).click();
    await button(other, n.release).waitFor();
    await other.page.getByLabel(n.assignTo).selectOption(ed.sub);
    await button(other, n.assign).click();
    await other.page.locator(".timeline").getByText(n.handed(marian.name, ed.name), { exact: true }).waitFor();
    await other.context.close();

    // Back with the first engineer, who releases it: unowned again, Take offered.
    const back = await open("engineer", lang, "/my-incidents");
    await back.page.getByRole("table").getByRole("link", { name: inc.title, exact: true }).click();
    await back.page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    await button(back, n.release).click();
    await back.page.locator(".timeline").getByText(n.released(ed.name), { exact: true }).waitFor();
    await button(back, n.take).waitFor();
    await back.page.locator("dl.summary").getByText(n.unowned, { exact: true }).waitFor();
    assert.equal((await api("engineer", "GET", inc.path)).json.owner, null);
    await check(back, "incident-released");
    await back.context.close();
  });

  test(`${lang}: Take on an incident another engineer took a moment earlier says so and shows the owner`, async () => {
    await registerEngineers();
    const inc = await incidentOf("B", lang === "pl" ? "Brak dostępu do skrzynki pocztowej" : "Mailbox cannot be opened");
    const tab = await open("engineer", lang, inc.path);
    const { page, n } = tab;
    await button(tab, n.take).waitFor();
    assert.equal((await api("engineer2", "POST", `${inc.path}/assignment`, { owner_account_id: marian.sub })).status, 200);
    await button(tab, n.take).click();
    await page.getByRole("alert").filter({ hasText: n.lostRace }).waitFor();
    await page.locator("dl.summary").getByText(marian.name, { exact: true }).waitFor();
    await check(tab, "incident-taken-meanwhile", { allowErrors: [/status of 409/] });
    await tab.context.close();
  });

  if (lang === "en") test("a page of the queue read before a Take answered does not bring Take back to the row", async () => {
    await registerEngineers();
    const inc = await incidentOf("C", "Scanner drops its network share");
    // The incident as the queue lists it (wherever it stands in the queue).
    let summary = null;
    for (let cursor = null; !summary; ) {
      const got = await api("engineer", "GET", `/queue?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      assert.equal(got.status, 200);
      summary = got.json.items.find((i) => i.incident_id === inc.id) ?? null;
      cursor = got.json.next_cursor;
      assert.ok(summary || cursor, "the new incident is in the queue");
    }
    const tab = await open("engineer", "en", "/my-incidents");
    const { page, n } = tab;
    // The queue as three pages: the real first page without the incident, a second page with it,
    // and a third that is held until the take has answered (a read made before the take).
    let release;
    const held = new Promise((r) => (release = r));
    let heldAnswered = false;
    const cors = { "Content-Type": "application/json", "Access-Control-Allow-Origin": CONSOLE };
    await page.route(`${API}/queue?*`, async (route) => {
      const cursor = new URL(route.request().url()).searchParams.get("cursor");
      if (!cursor) {
        const real = await (await route.fetch()).json();
        const items = real.items.filter((i) => i.incident_id !== inc.id);
        return route.fulfill({ status: 200, headers: cors, body: JSON.stringify({ items, next_cursor: "second" }) });
      }
      if (cursor === "second") {
        return route.fulfill({ status: 200, headers: cors, body: JSON.stringify({ items: [summary], next_cursor: "third" }) });
      }
      await held;
      await route.fulfill({ status: 200, headers: cors, body: JSON.stringify({ items: [{ ...summary, owner: null }], next_cursor: null }) });
      heldAnswered = true;
    });
    await nav(tab, n.queue);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: inc.title, exact: true }) });
    await row.getByRole("button", { name: n.take, exact: true }).click();
    await row.getByText(USERS.engineer.name, { exact: true }).waitFor();
    release();
    for (const deadline = Date.now() + 5000; !heldAnswered; await new Promise((r) => setTimeout(r, 50))) assert.ok(Date.now() < deadline, "the held page was answered");
    // The held page's rows are applied within a frame or two; give them ten.
    await page.evaluate(() => new Promise((r) => { let k = 10; const f = () => (--k ? window.requestAnimationFrame(f) : r()); window.requestAnimationFrame(f); }));
    assert.equal(await row.getByRole("button", { name: n.take, exact: true }).count(), 0, "Take came back with a page read before the take");
    assert.equal(await row.getByText(USERS.engineer.name, { exact: true }).count(), 1, "the row names its owner");
    await page.unroute(`${API}/queue?*`);
    await tab.context.close();
  });

  test(`${lang}: the staff's Incidents list filters by Owner, Status, Severity and SLA together`, async () => {
    await registerEngineers();
    const unowned = await incidentOf("C", lang === "pl" ? "Wolne logowanie do domeny" : "Slow domain logon");
    const owned = await incidentOf("B", lang === "pl" ? "Błąd synchronizacji kalendarza" : "Calendar sync error");
    assert.equal((await api("engineer2", "POST", `${owned.path}/assignment`, { owner_account_id: marian.sub })).status, 200);
    const tab = await open("engineer", lang);
    const { page, n } = tab;
    // An engineer with a long name among the Owner choices (the registry is the real one, plus
    // this entry): a select is as wide as its longest option, which once pushed the filters past
    // a phone's width whenever the generated names of other tests' engineers ran long.
    const longName = "Maria Konstantynopolitańczykiewiczówna-Wierzbicka-Szczebrzeszyńska";
    await page.route(`${API}/engineers*`, async (route) => {
      const real = await (await route.fetch()).json();
      const items = [...real.items, { account_id: "acct_long_name", display_name: longName, email: null, open_incidents: 0 }];
      return route.fulfill({ status: 200, headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": CONSOLE }, body: JSON.stringify({ ...real, items }) });
    });
    const links = await page.getByRole("navigation").getByRole("link").allTextContents();
    for (const l of [n.queue, n.myIncidents, n.incidents]) assert.ok(links.includes(l), `staff navigation has ${l}: ${links}`);
    for (const l of [n.packs, n.newIncident, n.account]) assert.ok(!links.includes(l), `no customer link ${l} for staff only: ${links}`);
    await nav(tab, n.incidents);
    const link = (inc) => page.getByRole("table").getByRole("link", { name: inc.title, exact: true });
    await link(owned).waitFor();
    const values = async (label) => page.getByLabel(label, { exact: true }).locator("option").evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(await values(n.status), ["", "awaiting_response", "in_progress", "resolved", "unresolved", "closed_by_customer"]);
    assert.deepEqual(await values(n.severity), ["", "A", "B", "C"]);
    assert.deepEqual(await values(n.sla), ["", "pending", "met", "breached", "withdrawn"]);
    assert.ok((await values(n.owner)).includes(marian.sub), "each engineer is an Owner choice");
    assert.ok((await values(n.owner)).includes("acct_long_name"), "the long-named engineer is an Owner choice");

    await page.getByLabel(n.owner, { exact: true }).selectOption("none");
    await page.getByLabel(n.severity, { exact: true }).selectOption("C");
    await link(owned).waitFor({ state: "detached" });
    await link(unowned).waitFor();

    await page.getByLabel(n.owner, { exact: true }).selectOption(marian.sub);
    await page.getByLabel(n.severity, { exact: true }).selectOption("B");
    await page.getByLabel(n.status, { exact: true }).selectOption("awaiting_response");
    await page.getByLabel(n.sla, { exact: true }).selectOption("pending");
    await link(owned).waitFor();
    await link(unowned).waitFor({ state: "detached" });
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: owned.title, exact: true }) });
    await row.getByText(marian.name, { exact: true }).waitFor();
    await check(tab, "incidents-filtered");
    const q = new URL(page.url()).searchParams;
    assert.deepEqual([q.get("owner"), q.get("status"), q.get("severity"), q.get("sla")], [marian.sub, "awaiting_response", "B", "pending"]);

    // Awaiting a response yet met: nothing, said in words.
    await page.getByLabel(n.sla, { exact: true }).selectOption("met");
    await page.getByText(n.emptyFiltered).waitFor();
    await tab.context.close();
  });

  // ---- issue 31: state-aware page, confirmations, internal notes, phones ----

  test(`${lang}: resolving while proposals await the customer says they will be withdrawn; Cancel does nothing; the customer then sees no decision buttons and the proposals withdrawn`, async () => {
    const inc = await incidentOf("C", lang === "pl" ? "Kopia zapasowa trwa za długo" : "Backups take too long");
    const enc = inc.path;
    assert.equal((await api("engineer", "POST", `${enc}/responses`, { message: "Looking into it.", channel: "email" })).status, 201);
    assert.equal((await api("engineer", "POST", `${enc}/scope`, { problem_statement: "Backups run 9 h.", resolution_criteria: "Under 2 h." })).status, 200);
    const subTitle = `${lang === "pl" ? "Deduplikacja" : "Deduplication"} ${RUN}`;
    assert.equal((await api("engineer", "POST", `${enc}/sub-problems`, { title: subTitle, description: "Turn it on." })).status, 201);

    const tab = await open("engineer", lang, enc);
    const { page, n } = tab;
    await page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    assert.equal(await button(tab, n.proposeScope).count(), 0, "no Propose scope while the scope awaits the customer");
    await unfold(tab, n.resolveStep);
    await page.getByLabel(n.solutions, { exact: true }).fill(lang === "pl" ? "Włączono kompresję." : "Turned on compression.");
    await button(tab, n.markResolved).click();
    await page.getByRole("dialog").getByText(n.withdraws).waitFor();
    await check(tab, "dialog-resolve-withdraws");
    await dialog(tab, "cancel");
    assert.equal((await api("engineer", "GET", enc)).json.status, "in_progress", "Cancel resolved nothing");
    await button(tab, n.markResolved).click();
    await dialog(tab, "confirm", [n.withdraws]);
    await page.locator(".timeline").getByText(n.withdrawnScope).waitFor();
    await focusOnResult(page, ".timeline > li");
    // Closed: no action or decision controls left for staff either.
    for (const b of [n.sendResponse, n.proposeScope, n.proposeSub, n.markResolved, n.closeUnresolved]) assert.equal(await button(tab, b).count(), 0, `no ${b} once closed`);
    await check(tab, "incident-resolved-engineer");
    await tab.context.close();

    const cust = await open(customer, lang, enc);
    const c = cust.page;
    await c.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    await c.locator(".timeline").getByText(n.withdrawnScope).waitFor();
    await c.locator(".timeline").getByText(n.withdrawnSub(subTitle)).waitFor();
    for (const b of [n.acceptScope, n.rejectScope, "Accept sub-problem", lang === "pl" ? "Akceptuj podproblem" : "Decline sub-problem", n.sendMessage, n.requestClosure]) {
      assert.equal(await button(cust, b).count(), 0, `no ${b} on a closed incident`);
    }
    await check(cust, "incident-resolved-customer");
    await cust.page.setViewportSize({ width: 390, height: 844 });
    await check(cust, "incident-resolved-customer-phone");
    await cust.context.close();
  });

  test(`${lang}: an engineer's internal note shows marked as internal to staff and never to the customer`, async () => {
    missingRoute("POST /incidents/{id}/notes");
    const inc = await incidentOf("C", lang === "pl" ? "Wolne kopie zapasowe" : "Slow backups");
    const tab = await open("engineer", lang, inc.path);
    const { page, n } = tab;
    await page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    const note = `${lang === "pl" ? "Klient ma stary kontroler RAID" : "Customer runs an old RAID controller"} ${RUN}`;
    await page.getByLabel(n.internalNote, { exact: true }).fill(note);
    await button(tab, n.addNote).click();
    const noted = page.locator(".timeline > li").filter({ hasText: note });
    await noted.waitFor();
    await noted.getByText(n.internal, { exact: true }).waitFor();
    await focusOnResult(page, ".timeline > li");
    await check(tab, "incident-internal-note");
    await tab.context.close();
    // Never to the customer: not on the page, not in the API's answer or its timeline pages.
    const cust = await open(customer, lang, inc.path);
    await cust.page.getByRole("heading", { level: 1, name: inc.title }).waitFor();
    await cust.page.locator(".timeline > li").first().waitFor();
    assert.equal(await cust.page.getByText(note).count(), 0, "the customer does not see the internal note");
    assert.equal(await cust.page.getByLabel(n.internalNote, { exact: true }).count(), 0, "no note box for the customer");
    const seen = await api(customer, "GET", inc.path);
    assert.ok(!JSON.stringify(seen.json).includes(note) && !seen.json.timeline.some((e) => e.kind === "internal_note"), "no note in the customer's answer");
    await check(cust, "incident-customer-no-note");
    await cust.context.close();
  });

  test(`${lang}: at 390 px the customer's pages do not scroll sideways and the navigation opens from Menu`, async () => {
    const tab = await open(customer, lang, "/incidents");
    const { page, n } = tab;
    await page.setViewportSize({ width: 390, height: 844 });
    const menu = page.getByRole("button", { name: n.menu, exact: true });
    await menu.waitFor();
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    assert.equal(await page.getByRole("navigation").getByRole("link", { name: n.packs, exact: true }).isVisible(), false, "navigation folded at 390 px");
    const header = await page.locator("header").boundingBox();
    assert.ok(header.height <= 64, `a compact header: ${header.height} px`);
    for (const [link, heading, name] of [[n.packs, n.packs, "packs"], [n.newIncident, n.newIncident, "new-incident"], [n.account, n.account, "account"], [n.incidents, n.incidents, "incidents"]]) {
      await menu.click();
      assert.equal(await menu.getAttribute("aria-expanded"), "true");
      await page.getByRole("navigation").getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      assert.equal(await menu.getAttribute("aria-expanded"), "false", "the menu folds after choosing a page");
      await check(tab, `phone-${name}`);
    }
    // The incidents table scrolls inside its own box.
    await page.getByRole("table").first().waitFor();
    await noSideScroll(page, "incidents at 390 px");
    await menu.click();
    await check(tab, "phone-menu-open");
    await tab.context.close();
  });

  test(`${lang}: an admin finds an early closure under Charges to decide and downloads the SLA report as CSV`, async () => {
    const inc = await incidentOf("C", lang === "pl" ? "Niepotrzebne już zgłoszenie" : "No longer needed");
    assert.equal((await api(customer, "POST", `${inc.path}/closure-request`, { reason: "Solved it." })).status, 200);
    const admin = await open("admin", lang);
    const { page, n } = admin;
    // Every admin link on one line at 1280 px: the navigation does not wrap.
    const links = await page.getByRole("navigation").getByRole("link").evaluateAll((as) => as.map((a) => a.getBoundingClientRect().top));
    assert.ok(links.length >= 8 && new Set(links.map(Math.round)).size === 1, `admin navigation on one line: ${links}`);
    assert.ok(await page.getByText(`${n.signedInAs} ${USERS.admin.email}`).isVisible(), "the account stays visible");
    await nav(admin, n.charges);
    await page.getByRole("heading", { level: 1, name: n.charges }).waitFor();
    await page.getByRole("table").getByRole("link", { name: inc.title, exact: true }).waitFor();
    await check(admin, "charges");
    await page.getByRole("table").getByRole("link", { name: inc.title, exact: true }).click();
    // No first response came: refunding is the primary choice.
    await button(admin, n.refund).waitFor();
    assert.match(await button(admin, n.refund).getAttribute("class"), /primary/);
    assert.doesNotMatch((await button(admin, n.consume).getAttribute("class")) ?? "", /primary/);
    await nav(admin, n.reports);
    await page.getByRole("img", { name: n.chart }).waitFor();
    const download = page.waitForEvent("download");
    await button(admin, n.csv).click();
    const file = await download;
    const text = readFileSync(await file.path(), "utf8");
    assert.match(text, /^month,calendar,severity,met,breached,withdrawn,achievement\r\n/);
    await admin.context.close();
  });

  test(`${lang}: an admin reads each engineer's open incidents on Reports`, async () => {
    await registerEngineers();
    const admin = await open("admin", lang);
    const { page, n } = admin;
    await nav(admin, n.reports);
    const table = page.getByRole("region", { name: n.workload }).getByRole("table");
    const engineers = (await api("admin", "GET", "/engineers")).json.items;
    for (const who of [ed, marian]) {
      const e = engineers.find((x) => x.account_id === who.sub);
      assert.ok(e, `${who.name} is a registered engineer`);
      const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: who.name, exact: true }) });
      await row.getByRole("cell", { name: String(e.open_incidents), exact: true }).waitFor();
    }
    await check(admin, "reports-workload");
    await admin.context.close();
  });
}

// ---- satisfaction and the audit log (issue 28) -----------------------------------------------

/** The rating link of score in the mail to `to`, read back from the local SES (moto's data.json). */
async function ratingLinkIn(to, score) {
  const endpoint = env("AWS_ENDPOINT_URL_DYNAMODB");
  const deadline = Date.now() + 180_000;
  for (;;) {
    const data = await (await fetch(`${endpoint}/moto-api/data.json`)).json();
    const mail = (data.ses?.Message ?? []).filter((m) => (m.destinations?.ToAddresses ?? []).includes(to));
    for (const m of mail) {
      const found = String(m.body ?? "").match(new RegExp(`href="([^"]*/rate/[A-Za-z0-9_-]+\\?score=${score})"`));
      if (found) return new URL(found[1]);
    }
    if (Date.now() > deadline) throw new Error(`no mail with a rating link to ${to}: ${mail.map((m) => m.subject)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

for (const lang of ["en", "pl"]) {
  test(`${lang}: the contact rates from the link in the closing e-mail without signing in; admins see it on Reports and the Audit page`, async () => {
    const contact = `rate-${RUN}-${lang}@customer.example`;
    const who = `customer_${lang}`;
    const pack = await api(who, "POST", "/packs", { offer: "single", billing_country: "PL" });
    assert.equal(pack.status, 201, JSON.stringify(pack.json));
    const submitted = await api(who, "POST", "/incidents", {
      product_id: "windows-server-2022", category: "configuration", severity: "C", handling: "business_hours", calendar: "PL",
      title: `Rating ${RUN} ${lang}`, description: "The rating flow.", pack_id: pack.json.pack_id,
      contact: { name: "Rita", email: contact, language: lang },
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.json));
    const id = submitted.json.incident_id;
    const resolved = await api("engineer", "POST", `/incidents/${encodeURIComponent(id)}/resolution`, { outcome: "resolved", solutions: ["Updated the driver."] });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.json));

    // The link in the sent e-mail, opened in a browser that has never signed in.
    const link = await ratingLinkIn(contact, "bad");
    assert.match(link.pathname, /^\/rate\/[A-Za-z0-9_-]+$/);
    const tab = await newTab(lang);
    const { page, n } = tab;
    await page.goto(`${CONSOLE}${link.pathname}${link.search}`);
    await page.getByRole("heading", { level: 1, name: n.rateTitle }).waitFor();
    assert.equal(await page.getByRole("navigation").count(), 0, "no navigation: nobody is signed in");
    assert.equal(await button(tab, n.bad).getAttribute("aria-pressed"), "true", "the link's score is preselected");
    assert.equal(await button(tab, n.good).getAttribute("aria-pressed"), "false");
    await page.getByLabel(n.comment, { exact: true }).fill(lang === "pl" ? "Za długo to trwało." : "It took too long.");
    await button(tab, n.sendRating).click();
    await page.getByRole("status").filter({ hasText: n.rated }).waitFor();
    await check(tab, "rating");
    const after = (await api(who, "GET", `/incidents/${encodeURIComponent(id)}`)).json;
    assert.equal(after.rating?.score, "bad");
    // A link whose token was tampered with is refused in words.
    await page.goto(`${CONSOLE}${link.pathname}x${link.search}`);
    await button(tab, n.sendRating).click();
    await page.getByRole("alert").filter({ hasText: n.invalidLink }).waitFor();
    await check(tab, "rating-invalid", { allowErrors: [/status of 404/] });
    await tab.context.close();

    // The admin: the resolution on the Audit page, filtered by subject; satisfaction on Reports.
    const admin = await open("admin", lang);
    await nav(admin, admin.n.audit);
    await admin.page.getByLabel(admin.n.auditSubject, { exact: true }).fill(id);
    await button(admin, admin.n.auditFilter).click();
    const row = admin.page.getByRole("table").getByRole("row").filter({ has: admin.page.getByRole("cell", { name: admin.n.resolution, exact: true }) });
    await row.first().waitFor();
    assert.equal(await row.count(), 1, "one resolution entry");
    await check(admin, "audit");
    await nav(admin, admin.n.reports);
    await admin.page.getByRole("region", { name: admin.n.satisfaction }).getByRole("table").waitFor();
    await check(admin, "reports-satisfaction");
    await admin.context.close();
  });
}

// ---- sign-in (OpenID Connect authorization code + PKCE against the local provider) ----------

for (const lang of ["en", "pl"]) {
  for (const who of [`customer_${lang}`, "engineer", "admin"]) {
    test(`${lang}: ${who} signs in through the provider's login page and sees the console of the role`, async () => {
      const tab = await newTab(lang);
      const { page, n } = tab;
      await page.goto(`${CONSOLE}/`);
      await page.getByRole("heading", { level: 1, name: n.signIn }).waitFor();
      await page.getByRole("alert").filter({ hasText: n.signInNeeded }).waitFor();
      assert.equal(await page.getByRole("navigation").count(), 0, "no navigation before signing in");
      if (who.startsWith("customer")) await check(tab, "sign-in");
      await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
      await page.getByLabel("Email", { exact: true }).waitFor();
      assert.ok(onProvider(page), `the provider's page, not ${page.url()}`);
      if (who.startsWith("customer")) await check(tab, "provider-login", { phone: false });
      await fillLogin(page, who);
      await signedIn(tab, who);
      const navLinks = page.getByRole("navigation").getByRole("link");
      await navLinks.first().waitFor();
      const links = await navLinks.allTextContents();
      assert.equal(links.includes(n.queue), who !== `customer_${lang}`, `Queue link for ${who}: ${links}`);
      assert.equal(links.includes(n.claims), who === "admin", `Claims link for ${who}: ${links}`);
      await check(tab, `signed-in-${who.replace(/_(en|pl)$/, "")}`);
      await tab.context.close();
    });
  }
}

for (const lang of ["en", "pl"]) {
  const leaver = `leaver_${lang}`;
  test(`${lang}: a customer downloads their data and asks for erasure; an admin ${lang === "en" ? "erases (after confirming)" : "rejects"} it`, async () => {
    const tab = await open(leaver, lang, "/account");
    const { page, n } = tab;
    await button(tab, n.downloadMyData).click();
    const status = page.getByRole("status").filter({ hasText: lang === "pl" ? "Eksport" : "export" });
    await status.waitFor();
    await check(tab, "account-export");
    // The sweeper's one-minute step builds it; "Check again" asks for its state.
    const link = page.getByRole("link", { name: n.download, exact: true });
    for (let i = 0; i < 45 && !(await link.count()); i++) {
      await page.waitForTimeout(2_000);
      // The button goes once the export is ready (possibly between the check and the click).
      const again = button(tab, n.checkAgain);
      if (await again.isEnabled().catch(() => false)) await again.click({ timeout: 3_000 }).catch(() => {});
    }
    await link.waitFor({ timeout: 5_000 });
    const href = await link.getAttribute("href");
    const archive = await fetch(href);
    assert.equal(archive.status, 200, "the presigned link downloads the archive");
    assert.ok((await archive.arrayBuffer()).byteLength > 1024, "a tar archive with data.json");
    await page.getByLabel(n.erasureReason, { exact: true }).fill(`Leaving ${RUN}`);
    await button(tab, n.sendErasure).click();
    await page.getByText(n.erasureSent).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await check(tab, "account-erasure-390");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no horizontal scrolling at 390 px");

    const admin = await open("admin", lang);
    await nav(admin, admin.n.erasureRequests);
    const card = admin.page.locator("li.card").filter({ hasText: USERS[leaver].sub });
    await card.getByRole("button", { name: admin.n.erase, exact: true }).waitFor();
    await check(admin, "erasure-requests");
    if (lang === "en") {
      await card.getByRole("button", { name: admin.n.erase, exact: true }).click();
      const dialog = admin.page.getByRole("dialog");
      await dialog.waitFor();
      await check(admin, "erasure-confirm");
      await dialog.getByRole("button", { name: admin.n.cancel, exact: true }).click();
      await dialog.waitFor({ state: "detached" });
      await card.getByRole("button", { name: admin.n.erase, exact: true }).click();
      await admin.page.getByRole("dialog").getByRole("button", { name: admin.n.confirm, exact: true }).click();
    } else {
      await card.getByRole("button", { name: admin.n.reject, exact: true }).click();
    }
    await card.waitFor({ state: "detached" });
    const decided = await api("admin", "GET", "/erasure-requests?status=" + (lang === "en" ? "erased" : "rejected") + "&limit=100");
    assert.ok(decided.json.items.some((r) => r.account_id === USERS[leaver].sub), "decided as clicked");
    await admin.context.close();
    await tab.context.close();
  });
}

test("the sign-in request is authorization code with PKCE (S256) for the console's client", async () => {
  const tab = await newTab("en");
  const { page, n } = tab;
  await page.goto(`${CONSOLE}/packs`);
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${ISSUER}/`) && new URL(r.url()).searchParams.has("code_challenge"));
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  const q = new URL((await authorize).url()).searchParams;
  assert.equal(q.get("response_type"), "code");
  assert.equal(q.get("code_challenge_method"), "S256");
  assert.equal(q.get("client_id"), "incident-desk-console");
  assert.equal(q.get("redirect_uri"), `${CONSOLE}/`);
  assert.match(q.get("scope"), /\bopenid\b/);
  await page.getByLabel("Email", { exact: true }).waitFor();
  await tab.context.close();
});

test("a wrong password stays on the provider's page; the right one signs in", async () => {
  const tab = await newTab("en");
  const { page, n } = tab;
  await page.goto(`${CONSOLE}/account`);
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  await fillLogin(page, "customer_en", `${USERS.customer_en.password}-wrong`);
  await page.getByRole("alert").waitFor();
  assert.ok(onProvider(page), `still on the provider's page: ${page.url()}`);
  await page.getByLabel("Password", { exact: true }).waitFor();
  await page.screenshot({ path: join(SHOTS, "en-provider-wrong-password.png"), fullPage: true });
  assert.equal(await page.evaluate(() => Object.keys(window.sessionStorage).filter((k) => k.startsWith("oidc.user")).length), 0);
  await fillLogin(page, "customer_en");
  await signedIn(tab, "customer_en");
  await page.getByRole("heading", { level: 1, name: n.account }).waitFor();
  await tab.context.close();
});

test("sign out ends the provider's session: signing in again asks for the password", async () => {
  const tab = await newTab("en");
  const { page, n } = tab;
  await page.goto(`${CONSOLE}/packs`);
  await signIn(tab, "customer_en");
  // While the provider's session lives, a console that forgot its tokens signs in again without
  // the login page (this is what sign-out must end).
  await page.evaluate(() => window.sessionStorage.clear());
  await page.reload();
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  await signedIn(tab, "customer_en");
  // Sign out: the console forgets its tokens and the provider ends its session, back to the console.
  await page.getByRole("button", { name: n.signOut, exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${CONSOLE}/`) && !u.searchParams.has("state"));
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).waitFor();
  assert.equal(await page.evaluate(() => Object.keys(window.sessionStorage).filter((k) => k.startsWith("oidc.")).length), 0, "no tokens or sign-in state left");
  await check(tab, "signed-out");
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  await page.getByLabel("Password", { exact: true }).waitFor();
  assert.ok(onProvider(page), `the provider asks again: ${page.url()}`);
  await tab.context.close();
});

test("a token the API refuses (401) brings up the sign-in prompt, and signing in goes on", async () => {
  const tab = await newTab("en");
  const { page, n } = tab;
  await page.goto(`${CONSOLE}/packs`);
  await signIn(tab, "customer_en");
  await page.getByRole("heading", { level: 1, name: n.packs }).waitFor();
  // The stored ID token's signature spoiled: the gateway's JWT authorizer answers 401.
  await page.evaluate(() => {
    const key = Object.keys(window.sessionStorage).find((k) => k.startsWith("oidc.user:"));
    const user = JSON.parse(window.sessionStorage.getItem(key));
    const [h, p, sig] = user.id_token.split(".");
    user.id_token = `${h}.${p}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    window.sessionStorage.setItem(key, JSON.stringify(user));
  });
  const refused = page.waitForResponse((r) => r.url().startsWith(`${API}/`) && r.status() === 401);
  await page.reload();
  await refused;
  await page.getByRole("heading", { level: 1, name: n.signIn }).waitFor();
  await page.getByRole("alert").filter({ hasText: n.signInNeeded }).waitFor();
  await check(tab, "session-refused", { allowErrors: [/status of 401/] });
  // The provider's session still lives: Sign in brings the console back without the login page.
  await page.getByRole("main").getByRole("button", { name: n.signInButton, exact: true }).click();
  await signedIn(tab, "customer_en");
  await page.getByRole("heading", { level: 1, name: n.packs }).waitFor();
  await tab.context.close();
});

test("the ID token is renewed with the refresh token a minute before it expires", async () => {
  const tab = await newTab("en");
  const { page, n } = tab;
  await page.goto(`${CONSOLE}/incidents`);
  await signIn(tab, "customer_en");
  await page.getByRole("heading", { level: 1, name: n.incidents }).waitFor();
  // The console reads the ID token's exp only for its renewal timer. Stored with an exp 65 s away
  // (its signature no longer matches, so the API is stubbed for this page), the timer fires in
  // about 5 s and the refresh token must bring a new, valid ID token without any page.
  await page.route(`${API}/**`, (route) =>
    route.fulfill({ status: 200, headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": CONSOLE }, body: JSON.stringify({ items: [], next_cursor: null }) }));
  const original = await page.evaluate(() => {
    const key = Object.keys(window.sessionStorage).find((k) => k.startsWith("oidc.user:"));
    const user = JSON.parse(window.sessionStorage.getItem(key));
    if (!user.refresh_token) return null;
    const [h, p, sig] = user.id_token.split(".");
    const claims = JSON.parse(window.atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    claims.exp = Math.floor(Date.now() / 1000) + 65;
    const body = window.btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    user.id_token = `${h}.${body}.${sig}`;
    window.sessionStorage.setItem(key, JSON.stringify(user));
    return user.id_token;
  });
  assert.ok(original, "the provider gave a refresh token");
  await page.reload();
  await page.getByRole("button", { name: n.signOut, exact: true }).waitFor();
  const renewed = await page.waitForFunction((old) => {
    const key = Object.keys(window.sessionStorage).find((k) => k.startsWith("oidc.user:"));
    const token = key && JSON.parse(window.sessionStorage.getItem(key)).id_token;
    return token && token !== old ? token : null;
  }, original, { timeout: 20_000 });
  const token = await renewed.jsonValue();
  // The renewed token is the provider's own: the real API accepts it.
  const res = await fetch(`${API}/packs`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, "the renewed ID token is accepted by the API");
  await page.getByRole("button", { name: n.signOut, exact: true }).waitFor();
  await tab.context.close();
});

test("the console is served with the template's security headers", async () => {
  const res = await fetch(`${CONSOLE}/packs`);
  assert.equal(res.status, 200);
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  for (const origin of [new URL(API).origin, new URL(ISSUER).origin]) assert.ok(csp.includes(origin), `connect-src names ${origin}: ${csp}`);
  assert.ok(!/amazonaws|amazoncognito|\$\{/.test(csp), `no AWS host or template variable left: ${csp}`);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.ok(res.headers.get("referrer-policy"));
  assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=\d+/);
  const config = await (await fetch(`${CONSOLE}/config.json`)).json();
  assert.deepEqual(Object.keys(config).sort(), ["apiUrl", "clientId", "issuer", "logoutUri", "redirectUri", "scope"]);
  assert.equal(config.issuer, ISSUER);
  assert.equal(config.redirectUri, `${CONSOLE}/`);
});

test("the built console holds no secret and stays under 100 KB of gzipped JS and CSS", async () => {
  const { gzipSync } = await import("node:zlib");
  const dist = join(here, "..", "dist");
  // FORBIDDEN_STRINGS: the provider's private key (its `d`) and every user's password.
  const forbidden = JSON.parse(env("FORBIDDEN_STRINGS"));
  assert.ok(forbidden.length > 1 && forbidden.every((s) => typeof s === "string" && s.length >= 8), "the key and the passwords to look for");
  let gz = 0;
  const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  const files = walk(dist);
  for (const f of files) {
    const body = readFileSync(f);
    for (const s of forbidden) assert.ok(!body.includes(s), `${f} contains a secret`);
  }
  // What a page loads: index.html's own script (the OIDC client included) and style.
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const entry = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  assert.ok(entry.length >= 2, "index.html names its script and style");
  for (const f of files.filter((f) => /\.(js|css)$/.test(f))) gz += gzipSync(readFileSync(f), { level: 9 }).length;
  assert.ok(gz < 100 * 1024, `all JS + CSS gzipped is ${gz} bytes`);
});

test("keyboard only: a customer reaches Buy a single incident with Tab and buys with Enter", async () => {
  const tab = await open("claimant_en", "en", "/packs");
  const { page, n } = tab;
  await page.getByRole("heading", { level: 1, name: n.packs }).waitFor();
  await page.waitForLoadState("networkidle");
  let focused = "";
  for (let i = 0; i < 40 && focused !== n.buySingle; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
  }
  assert.equal(focused, n.buySingle, "Tab reaches the buy button");
  await page.keyboard.press("Enter");
  await page.locator(".pack").filter({ hasText: n.remaining(1, 1) }).first().waitFor();
  await tab.context.close();
});

test("the language switch turns the console to Polish and back, and the browser's language picks the first", async () => {
  const tab = await open("claimant_pl", "en", "/incidents");
  const { page } = tab;
  await page.getByRole("navigation").getByRole("link", { name: "Incidents", exact: true }).waitFor();
  await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "Polski" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Zgłoszenia", exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "pl");
  await page.getByRole("group", { name: "Język" }).getByRole("button", { name: "English" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Incidents", exact: true }).waitFor();
  await tab.context.close();
  const pl = await open("claimant_pl", "pl", "/incidents");
  await pl.page.getByRole("navigation").getByRole("link", { name: "Zgłoszenia", exact: true }).waitFor();
  await pl.context.close();
});

test("a 503 from the API is said in words with a retry that works", async () => {
  const tab = await open("claimant_en", "en", "/account");
  const { page } = tab;
  await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
  await page.waitForLoadState("networkidle");
  // The data store throttling, as the API answers it (problem+json, Retry-After).
  await page.route("**/packs?*", (route) =>
    route.fulfill({
      status: 503,
      headers: { "Content-Type": "application/problem+json", "Retry-After": "1", "Access-Control-Allow-Origin": "*" },
      body: JSON.stringify({ type: "https://errors.support.example/service-unavailable", title: "Service unavailable", status: 503, code: "service_unavailable", detail: "busy" }),
    }),
  );
  await page.getByRole("navigation").getByRole("link", { name: "Packs", exact: true }).click();
  const alert = page.getByRole("alert").filter({ hasText: "busy right now" });
  await alert.waitFor();
  assert.ok(!(await alert.textContent()).includes("{"), "no raw JSON");
  await page.unroute("**/packs?*");
  await alert.getByRole("button", { name: "Try again" }).click();
  await alert.waitFor({ state: "detached" });
  await check(tab, "service-unavailable", { allowErrors: [/status of 503/] });
  await tab.context.close();
});

const shared = {};
test("a proposed sub-problem is accepted into its own incident", async () => {
  const body = {
    product_id: "office-ltsc-2024", category: "performance", severity: "C", handling: "business_hours", calendar: "UK",
    title: `Slow reports ${RUN}`, description: "Monthly reports take an hour.", contact: { name: "Ada", email: "ada@example.com", phone: null },
  };
  const bought = await api("claimant_en", "POST", "/packs", { offer: "five_pack", billing_country: "GB" });
  assert.equal(bought.status, 201, JSON.stringify(bought.json));
  const created = await api("claimant_en", "POST", "/incidents", { ...body, pack_id: bought.json.pack_id });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.incident_id;
  assert.equal((await api("engineer", "POST", `/incidents/${encodeURIComponent(id)}/responses`, { message: "Looking into it.", channel: "remote_session" })).status, 201);

  const eng = await open("engineer", "en", `/incidents/${encodeURIComponent(id)}`);
  await unfold(eng, eng.n.subStep);
  await eng.page.getByLabel(eng.n.subTitle).fill("Index rebuild");
  await eng.page.getByLabel(eng.n.subDescription).fill("The reporting index is fragmented.");
  await button(eng, eng.n.proposeSub).click();
  await eng.page.locator(".timeline").getByText("Index rebuild").waitFor();
  await eng.context.close();

  const tab = await open("claimant_en", "en", `/incidents/${encodeURIComponent(id)}`);
  const { page } = tab;
  await button(tab, "Accept sub-problem").click();
  // The dialog says what it costs: one of the pack's remaining incidents.
  await dialog(tab, "confirm", [/uses 1 of your \d+ remaining incidents?/]);
  await page.getByRole("link", { name: "Open the new incident" }).first().waitFor();
  await check(tab, "sub-problem-accepted");
  await page.getByRole("link", { name: "Open the new incident" }).first().click();
  await page.getByRole("heading", { level: 1, name: "Index rebuild" }).waitFor();
  shared.longIncident = { id, title: body.title };
  await tab.context.close();
});

test("a timeline longer than one page loads its later events on demand", async () => {
  missingRoute("GET /incidents/{id}/timeline");
  assert.ok(shared.longIncident, "needs the incident of the sub-problem test");
  const { id, title } = shared.longIncident;
  const tab = await open("claimant_en", "en", `/incidents/${encodeURIComponent(id)}`);
  const { page, n } = tab;
  // More events than one page of the incident's answer: the rest come from GET .../timeline.
  for (let i = 0; i < 100; i++) {
    const r = await api("claimant_en", "POST", `/incidents/${encodeURIComponent(id)}/messages`, { message: `Note ${i + 1}` });
    assert.equal(r.status, 201);
  }
  await page.goto(`${CONSOLE}/incidents/${encodeURIComponent(id)}`);
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  const events = page.locator(".timeline > li");
  assert.equal(await events.count(), 100, "the first page holds 100 events");
  await button(tab, n.loadMore).click();
  await page.locator(".timeline").getByText("Note 100", { exact: true }).waitFor();
  assert.ok((await events.count()) > 100);
  await check(tab, "timeline-paged");
  await tab.context.close();
});
