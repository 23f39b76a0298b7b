import { config } from "../config";
import { session, sessionRejected } from "../auth";
import type { RoutePath } from "./routes";
import { problemCodeValues } from "./openapi.gen";

/** An API refusal or a transport failure, kept structured so the page can say it in words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly problem: Record<string, unknown> | null,
    readonly retryAfter: number | null,
  ) {
    super(`${status} ${code}`);
  }
  get fields(): { field: string; message: string }[] {
    const e = this.problem?.errors;
    if (!Array.isArray(e)) return [];
    return e.flatMap((x: unknown) => {
      if (typeof x !== "object" || x === null) return [];
      const o = x as Record<string, unknown>;
      return typeof o.field === "string" && typeof o.message === "string" ? [{ field: o.field, message: o.message }] : [];
    });
  }
  str(name: string): string | null {
    const v = this.problem?.[name];
    return typeof v === "string" ? v : null;
  }
}

type Method = "get" | "post";
interface Options {
  params?: Record<string, string>;
  query?: Record<string, string | number | null | undefined>;
  body?: unknown;
  idempotencyKey?: string;
}

function fill(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}

/** The problem codes of openapi.yaml (generated); any other answer is named by its status. */
const CODES = new Set<string>(problemCodeValues);

export async function call<T>(method: Method, template: RoutePath<typeof method>, opts: Options = {}): Promise<T> {
  const url = new URL(config().apiUrl + fill(template, opts.params));
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = session.value?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  } catch {
    throw new ApiError(0, "network", null, null);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json as T;
  const problem = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  const given = typeof problem?.code === "string" ? problem.code : "";
  const code = CODES.has(given)
    ? given
    : res.status === 401 ? "unauthenticated"
    : res.status === 403 ? "forbidden"
    : res.status === 404 ? "not_found"
    : res.status === 503 ? "service_unavailable"
    : "http";
  const ra = Number(res.headers.get("Retry-After"));
  if (res.status === 401) sessionRejected();
  throw new ApiError(res.status, code, problem, Number.isFinite(ra) && ra > 0 ? ra : null);
}

/** A key per distinct body: a double click or a retry of the same form replays, an edited form is new. */
export function idempotencyKeys(): (body: unknown) => string {
  const salt = crypto.randomUUID();
  const keys = new Map<string, string>();
  return (body) => {
    const k = JSON.stringify(body);
    let v = keys.get(k);
    if (!v) {
      v = `${salt}-${keys.size + 1}`;
      keys.set(k, v);
    }
    return v;
  };
}
