import type { Pack } from "./api";

/** The pack intake draws from without a pack_id: the usable one that expires first. */
export function packToDraw(packs: Pack[], now = Date.now()): Pack | null {
  const usable = packs.filter(
    (p) => p.status === "active" && p.incidents_remaining > 0 && p.expires_at !== null && Date.parse(p.expires_at) > now,
  );
  usable.sort((a, b) => Date.parse(a.expires_at ?? "") - Date.parse(b.expires_at ?? ""));
  return usable[0] ?? null;
}
