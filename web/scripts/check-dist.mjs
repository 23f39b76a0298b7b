// Checks the built console (web/dist) before it ships, as `npm run check` does after the build:
// - the bundle a page loads (all JS + CSS, gzipped) stays under 100 KB;
// - no source maps and no source map references (the sources stay in the repository);
// - nothing that looks like a secret: private keys, Stripe or AWS keys, webhook secrets;
// - nothing per stage: the API and issuer come from config.json at run time (one build for every stage).
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const BUDGET = 100 * 1024;
const SECRETS = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
  [/\bsk_(live|test)_[0-9a-zA-Z]{8,}/, "a Stripe secret key"],
  [/\bwhsec_[0-9a-zA-Z]{8,}/, "a Stripe webhook secret"],
  [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/"(d|p|q|dp|dq|qi)"\s*:\s*"[A-Za-z0-9_-]{40,}"/, "a private JWK member"],
];
const STAGE = [
  [/https?:\/\/(127\.0\.0\.1|localhost):\d+/, "a local URL (stage settings belong in config.json)"],
  [/\.execute-api\.[a-z0-9-]+\.amazonaws\.com/, "an API Gateway URL (stage settings belong in config.json)"],
];

const problems = [];
if (!existsSync(join(dist, "index.html"))) {
  console.error("check-dist: web/dist/index.html is missing: run `npm run build` first");
  process.exit(1);
}
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
let gz = 0;
for (const file of walk(dist)) {
  const name = relative(dist, file);
  if (name.endsWith(".map")) problems.push(`${name}: a source map`);
  const body = readFileSync(file);
  if (/\.(js|css)$/.test(name)) {
    gz += gzipSync(body, { level: 9 }).length;
    if (body.includes("sourceMappingURL=")) problems.push(`${name}: refers to a source map`);
  }
  if (/\.(js|css|html|json|txt)$/.test(name)) {
    const text = body.toString("utf8");
    for (const [re, what] of [...SECRETS, ...STAGE]) if (re.test(text)) problems.push(`${name}: contains ${what}`);
  }
}
if (gz >= BUDGET) problems.push(`JS + CSS gzipped is ${gz} bytes, over the budget of ${BUDGET}`);
if (problems.length) {
  for (const p of problems) console.error(`check-dist: ${p}`);
  process.exit(1);
}
console.log(`check-dist: ok, JS + CSS ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB), no source map, no secret`);
