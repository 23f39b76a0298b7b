import { signal } from "@preact/signals";

export const path = signal(location.pathname);
export const search = signal(location.search);

export function navigate(to: string, replace = false): void {
  const url = new URL(to, location.origin);
  if (replace) history.replaceState(null, "", url.pathname + url.search);
  else history.pushState(null, "", url.pathname + url.search);
  path.value = url.pathname;
  search.value = url.search;
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
  path.value = location.pathname;
  search.value = location.search;
});

/** `/incidents/{id}` → {id}; null when the path does not match. */
export function match(pattern: string, p: string): Record<string, string> | null {
  const a = pattern.split("/");
  const b = p.replace(/\/+$/, "").split("/");
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x.startsWith(":")) {
      if (!y) return null;
      out[x.slice(1)] = decodeURIComponent(y);
    } else if (x !== y) return null;
  }
  return out;
}
