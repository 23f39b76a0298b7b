// The console's own speed with a real team's data (scripts/console-bench.sh starts the stack and
// loads the data: bench/console_data.py). Headless Chromium (Debian's, through playwright-core).
// People sign in once through the provider's login page, as in the browser tests; then each page
// is loaded RUNS times in that tab (a full navigation, the session in sessionStorage) and timed
// from the navigation's start (performance.now() in the page):
// - first contentful paint (the paint timing entry);
// - usable: the page's data rendered (queue: its first page, 25 rows, more than the screen shows; incident: its title, the
//   first page of its timeline and all its attachments; reports: the chart and the table), the
//   condition checked on every animation frame;
// - for the queue, also every row of the queue rendered (the later pages arrive after it is
//   usable).
// Long tasks (PerformanceObserver "longtask", > 50 ms by definition): the longest while the page
// loads, and the longest during TICK_MS on the full queue while its countdowns tick.
// Bundle: every JS and CSS file of web/dist, gzipped (level 9). Budgets are printed next to
// the figures; nothing is asserted (the bench prints numbers).
// Writes OUT/console.md and OUT/console.json.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run scripts/console-bench.sh)`);
  return v;
};
const CONSOLE = env("CONSOLE_URL");
const ISSUER = env("OIDC_ISSUER");
const OUT = env("CONSOLE_BENCH_OUT");
const DATA = JSON.parse(readFileSync(join(OUT, "data.json"), "utf8"));
const RUNS = Number(process.env.CONSOLE_BENCH_RUNS ?? 5);
const TICK_MS = Number(process.env.CONSOLE_BENCH_TICK_MS ?? 10000);
const BUDGET_MS = 1000;
const BUDGET_GZIP_KB = 100;
const BUDGET_LONG_TASK_MS = 200;

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : NaN;
};

function bundle() {
  const assets = join(here, "..", "dist", "assets");
  const files = readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = readFileSync(join(assets, f));
    raw += bytes.length;
    gz += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: files.length, raw_kb: raw / 1024, gzip_kb: gz / 1024 };
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

/** A tab signed in as who (through the provider's login page), long tasks recorded from the start. */
async function signedIn(who) {
  const user = DATA.users[who];
  const context = await browser.newContext({ locale: "en-GB", timezoneId: "Europe/Warsaw", viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  await context.addInitScript(() => {
    window.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${CONSOLE}/`);
  await page.getByRole("main").getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${ISSUER}/`));
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => u.href.startsWith(`${CONSOLE}/`) && !u.searchParams.has("code"));
  await page.getByRole("button", { name: "Sign out", exact: true }).waitFor();
  return { page, context, errors };
}

/** Loads path RUNS times; `usable` (and `complete`) run in the page with `arg` on every frame and
 * answer performance.now() once rendered (false before). */
async function measure(tab, name, path, usable, complete = null, arg = null) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    await tab.page.goto(`${CONSOLE}${path}`, { waitUntil: "commit" });
    // A function, not a string: the console's CSP (script-src 'self') refuses eval.
    const at = async (cond) => (await tab.page.waitForFunction(cond, arg, { polling: "raf", timeout: 60_000 })).jsonValue();
    const usableMs = await at(usable);
    const completeMs = complete ? await at(complete) : null;
    const { fcp, longest } = await tab.page.evaluate(() => ({
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
      longest: Math.max(0, ...window.__longtasks.map((t) => t.duration)),
    }));
    runs.push({ fcp, usable: usableMs, complete: completeMs, longest_task: longest });
  }
  const row = {
    page: name,
    runs: runs.length,
    fcp_ms: median(runs.map((r) => r.fcp)),
    usable_ms: median(runs.map((r) => r.usable)),
    usable_max_ms: Math.max(...runs.map((r) => r.usable)),
    complete_ms: complete ? median(runs.map((r) => r.complete)) : null,
    longest_task_loading_ms: Math.max(...runs.map((r) => r.longest_task)),
  };
  console.error(`    console: ${name}: FCP ${row.fcp_ms.toFixed(0)} ms, usable ${row.usable_ms.toFixed(0)} ms (max ${row.usable_max_ms.toFixed(0)})` +
    (complete ? `, complete ${row.complete_ms.toFixed(0)} ms` : ""));
  return row;
}

const rows = [];
const engineer = await signedIn("engineer");
const queued = DATA.queued;
rows.push(
  await measure(
    engineer,
    `queue (${queued} incidents)`,
    "/queue",
    () => document.querySelectorAll("table.queue tbody tr").length >= 25 && performance.now(),
    (n) => document.querySelectorAll("table.queue tbody tr").length >= n && performance.now(),
    queued,
  ),
);
// Countdowns ticking on the full queue: long tasks during TICK_MS.
const ticking = await engineer.page.evaluate(async (ms) => {
  const from = performance.now();
  const before = document.querySelector("table.queue .countdown")?.textContent;
  await new Promise((r) => setTimeout(r, ms));
  const tasks = window.__longtasks.filter((t) => t.start >= from);
  return {
    long_tasks: tasks.length,
    longest_ms: Math.max(0, ...tasks.map((t) => t.duration)),
    ticked: before !== document.querySelector("table.queue .countdown")?.textContent,
  };
}, TICK_MS);
console.error(`    console: queue ticking ${TICK_MS} ms: ${ticking.long_tasks} long tasks, longest ${ticking.longest_ms.toFixed(0)} ms, countdowns ticked: ${ticking.ticked}`);
rows.push(
  await measure(
    engineer,
    `incident (${DATA.events} events, ${DATA.attachments} attachments)`,
    `/incidents/${encodeURIComponent(DATA.incident_id)}`,
    (n) =>
      !!document.querySelector("h1") &&
      document.querySelectorAll("ol.timeline > li").length >= 1 &&
      document.querySelectorAll("ul.attachments > li").length >= n &&
      performance.now(),
    null,
    DATA.attachments,
  ),
);
const timelineShown = await engineer.page.evaluate(() => document.querySelectorAll("ol.timeline > li").length);
const admin = await signedIn("admin");
rows.push(
  await measure(
    admin,
    "reports (last 12 months)",
    "/reports",
    () => !!document.querySelector("#rep-h") && !!document.querySelector("section[aria-labelledby=rep-h] table, section[aria-labelledby=rep-h] p") && performance.now(),
  ),
);
const errors = [...engineer.errors, ...admin.errors];
await browser.close();

const b = bundle();
const fmt = (x) => (x === null || Number.isNaN(x) ? "–" : x.toFixed(0));
const ok = (good) => (good ? "within" : "**over**");
let md = `| page | runs | first contentful paint ms (median) | usable ms (median) | usable ms (slowest run) | every row rendered ms (median) | longest task while loading ms | budget 1,000 ms |\n`;
md += `|---|---:|---:|---:|---:|---:|---:|---|\n`;
for (const r of rows) {
  md += `| ${r.page} | ${r.runs} | ${fmt(r.fcp_ms)} | ${fmt(r.usable_ms)} | ${fmt(r.usable_max_ms)} | ${fmt(r.complete_ms)} | ${fmt(r.longest_task_loading_ms)} | ${ok(r.usable_ms <= BUDGET_MS)} (median) |\n`;
}
md += `\nThe incident page showed ${timelineShown} of its ${DATA.events} events (the first page of its timeline; "Load more events" fetches the rest).\n`;
md += `\nCountdowns ticking on the full queue for ${(TICK_MS / 1000).toFixed(0)} s: ${ticking.long_tasks} long tasks, the longest ${fmt(ticking.longest_ms)} ms (budget ${BUDGET_LONG_TASK_MS} ms: ${ok(ticking.longest_ms <= BUDGET_LONG_TASK_MS)}); the countdowns ${ticking.ticked ? "ticked" : "**did not tick**"}.\n`;
md += `\nBundle: ${b.files} JS and CSS files, ${b.raw_kb.toFixed(1)} KB, **${b.gzip_kb.toFixed(1)} KB gzipped** (budget ${BUDGET_GZIP_KB} KB: ${ok(b.gzip_kb <= BUDGET_GZIP_KB)}).\n`;
if (errors.length) md += `\nPage errors: ${errors.length} (${errors.slice(0, 3).join("; ")}).\n`;
writeFileSync(join(OUT, "console.md"), md);
writeFileSync(join(OUT, "console.json"), JSON.stringify({ rows, ticking, bundle: b, timeline_shown: timelineShown, errors }, null, 2));
