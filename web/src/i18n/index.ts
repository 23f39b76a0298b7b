import { signal } from "@preact/signals";
import { en, type Key } from "./en";
import { pl } from "./pl";

export type Lang = "en" | "pl";
const catalogues = { en, pl } as const;
const STORE_KEY = "console.lang";

/** en-* → English, pl-* → Polish; the first of the browser's languages that we have wins. */
export function detectLang(languages: readonly string[]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split("-")[0];
    if (base === "pl" || base === "en") return base;
  }
  return "en";
}

function initialLang(): Lang {
  const saved = sessionStorage.getItem(STORE_KEY);
  if (saved === "en" || saved === "pl") return saved;
  return detectLang(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
}

export const lang = signal<Lang>(initialLang());

export function setLang(l: Lang): void {
  sessionStorage.setItem(STORE_KEY, l);
  lang.value = l;
}

export function t(key: Key, params?: Record<string, string | number>): string {
  let s: string = catalogues[lang.value][key];
  if (params) {
    for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  }
  return s;
}

export function has(key: string): key is Key {
  return key in en;
}

/** Keys built from API values (status, category…): checked against the catalogue. */
export function tv(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in en ? t(key as Key) : value;
}

/** The viewer's locale within the chosen language (pl-PL, en-GB…). */
function locale(): string {
  const nav = navigator.languages.find((l) => l.toLowerCase().startsWith(lang.value));
  return nav ?? (lang.value === "pl" ? "pl-PL" : "en-GB");
}

export function fmtInstant(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return t("app.none");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(d);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return t("app.none");
  // A bare date (YYYY-MM-DD) is a calendar day, not an instant: format it in UTC.
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long", ...(iso.length === 10 ? { timeZone: "UTC" } : {}) }).format(d);
}

export function fmtMonth(month: string): string {
  const d = new Date(`${month}-01T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return month;
  return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short", timeZone: "UTC" }).format(d);
}

export function fmtMoney(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

export function fmtPercent(x: number): string {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(x);
}

/** Plural forms: `${base}.one|few|many|other` chosen by the language's rules, {n} filled in. */
export function tn(base: string, n: number, params: Record<string, string | number> = {}): string {
  const form = new Intl.PluralRules(locale()).select(n);
  const key = `${base}.${form}`;
  const fallback = `${base}.other`;
  return t((key in en ? key : fallback) as Key, { ...params, n: fmtNumber(n) });
}

export function fmtNumber(n: number, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits }).format(n);
}

/** 0,4 KB / 0.4 KB, 12 MB: the language's decimal separator. */
export function fmtSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${fmtNumber(bytes / 1024)} KB` : `${fmtNumber(bytes / 1024 / 1024)} MB`;
}

/** A duration for people: 5 s, 3 min 05 s, 1 h 05 min (1 godz. 05 min), 2 d 3 h 05 min (2 dni 3 godz. 05 min). */
export function fmtDuration(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  const hours = (n: number) => (lang.value === "pl" ? `${n} godz.` : `${n} h`);
  if (d > 0) return `${tn("unit.days", d)} ${hours(h)} ${pad(m)} min`;
  if (h > 0) return `${hours(h)} ${pad(m)} min ${pad(s)} s`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}
