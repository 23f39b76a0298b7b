import { signal } from "@preact/signals";
import type { ComponentChildren, InputHTMLAttributes, JSX, SelectHTMLAttributes, TextareaHTMLAttributes } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";
import { t, tv } from "./i18n";
import type { Key } from "./i18n/en";
import { navigate } from "./router";

let seq = 0;
export const uid = (p: string) => `${p}-${++seq}`;

export function Link(props: { href: string; children: ComponentChildren; current?: boolean; class?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? "page" : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

/** The page heading; it takes the focus when the page changes, so screen readers announce it. */
export function PageTitle(props: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.children} · ${t("app.name")}`;
    ref.current?.focus();
  }, [props.children]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {props.children}
    </h1>
  );
}

/** Says what went wrong, in words: never the raw answer. */
export function describe(e: unknown): { lines: string[]; retry: boolean } {
  if (!(e instanceof ApiError)) return { lines: [t("err.generic", { status: "?" })], retry: true };
  switch (e.code) {
    case "network":
      return { lines: [t("err.network")], retry: true };
    case "service_unavailable":
      return {
        lines: [t("err.unavailable"), ...(e.retryAfter ? [t("err.retryIn", { seconds: e.retryAfter })] : [])],
        retry: true,
      };
    case "invalid_request": {
      const fields = e.fields.map((f) => t("err.field", { field: f.field, message: f.message }));
      const detail = e.str("detail");
      return { lines: [t("err.invalid_request"), ...(fields.length ? fields : detail ? [detail] : [])], retry: false };
    }
    case "out_of_scope":
      return { lines: [t("err.out_of_scope"), ...(e.str("redirect") ? [e.str("redirect") ?? ""] : [])], retry: false };
    case "product_out_of_lifecycle":
      return { lines: [t("err.product_out_of_lifecycle", { date: e.str("support_ended_on") ?? "?" })], retry: false };
    case "too_many_attempts":
      return {
        lines: [e.retryAfter ? t("err.too_many_attempts", { seconds: e.retryAfter }) : t("err.too_many_attempts_later")],
        retry: false,
      };
    case "unauthenticated":
    case "forbidden":
    case "not_found":
    case "invalid_state":
    case "payload_too_large":
    case "idempotency_key_reused":
    case "severity_a_requires_24x7":
    case "no_usable_pack":
    case "not_an_engineer":
      return { lines: [t(`err.${e.code}` as Key)], retry: false };
    default:
      return { lines: [t("err.generic", { status: e.status })], retry: e.status >= 500 };
  }
}

/** An API error in words; `focus`: it takes the focus when it appears (the result of an action). */
export function ErrorAlert(props: { error: unknown; onRetry?: (() => void) | undefined; focus?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const shown = props.error !== null && props.error !== undefined;
  useEffect(() => {
    if (shown && props.focus) ref.current?.focus();
  }, [props.error]);
  if (!shown) return null;
  const { lines, retry } = describe(props.error);
  const [first, ...rest] = lines;
  return (
    <div role="alert" class="alert" tabIndex={-1} ref={ref}>
      <p>{first}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
      {retry && props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          {t("app.retry")}
        </button>
      )}
    </div>
  );
}

/** A confirmation in words; `focus`: it takes the focus when it appears (the result of an action). */
export function Notice(props: { children: ComponentChildren; focus?: boolean }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (props.focus) ref.current?.focus();
  }, []);
  return (
    <p role="status" class="notice" tabIndex={-1} ref={ref}>
      {props.children}
    </p>
  );
}

/**
 * Asks before an irreversible or paid action: a modal <dialog> (role dialog, keyboard and focus
 * handled by the browser, Escape cancels) that says what happens and what it costs.
 */
export function ConfirmDialog(props: {
  ask: { title: string; lines: string[]; danger?: boolean } | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [id] = useState(() => uid("dlg"));
  const open = props.ask !== null;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby={`${id}-t`}
      aria-describedby={`${id}-d`}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      {props.ask && (
        <>
          <h2 id={`${id}-t`}>{props.ask.title}</h2>
          <div id={`${id}-d`}>
            {props.ask.lines.map((l) => (
              <p key={l}>{l}</p>
            ))}
          </div>
          <div class="buttons">
            <button type="button" class={props.ask.danger ? "danger-solid" : "primary"} onClick={props.onConfirm}>
              {t("app.confirm")}
            </button>
            <button type="button" autoFocus onClick={props.onCancel}>
              {t("app.cancel")}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

export interface Ask {
  title: string;
  lines: string[];
  danger?: boolean;
  run: () => void;
}

/** A confirmation step: `confirm(ask)` opens the dialog; Confirm runs `ask.run`, Cancel does nothing. */
export function useConfirm(): { confirm: (a: Ask) => void; dialog: JSX.Element } {
  const [ask, setAsk] = useState<Ask | null>(null);
  const dialog = (
    <ConfirmDialog
      ask={ask}
      onConfirm={() => {
        const run = ask?.run;
        setAsk(null);
        run?.();
      }}
      onCancel={() => setAsk(null)}
    />
  );
  return { confirm: setAsk, dialog };
}

type FieldProps = {
  label: string;
  hint?: string | undefined;
  required?: boolean;
} & (
  | ({ kind?: "input" } & InputHTMLAttributes)
  | ({ kind: "textarea" } & TextareaHTMLAttributes)
  | ({ kind: "select"; children: ComponentChildren } & SelectHTMLAttributes)
);

/** A labelled control: the label is bound to the control by id. */
export function Field(props: FieldProps) {
  const [id] = useState(() => uid("f"));
  const hintId = props.hint ? `${id}-hint` : undefined;
  const { label, hint, kind, required, ...rest } = props;
  const common = { id, "aria-describedby": hintId, required };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {kind === "textarea" ? (
        <textarea {...(rest as TextareaHTMLAttributes)} {...common} />
      ) : kind === "select" ? (
        <select {...(rest as SelectHTMLAttributes)} {...common} />
      ) : (
        <input {...(rest as InputHTMLAttributes)} {...common} />
      )}
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** Loads data for a page; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (v: T) => void;
} {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return {
    ...state,
    reload: () => setN((x) => x + 1),
    set: (data: T) => setState({ data, error: null, loading: false }),
  };
}

/** Starts with every action: a success message stays only until the next action of the page starts. */
const actionEpoch = signal(0);

/** Runs one action at a time (a double click does nothing twice) and keeps its error. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  done: string | null;
  run: (f: () => Promise<unknown>, doneMessage?: string) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ text: string; epoch: number } | null>(null);
  const running = useRef(false);
  return {
    busy,
    error,
    done: done && done.epoch === actionEpoch.value ? done.text : null,
    clear: () => {
      setError(null);
      setDone(null);
    },
    run: async (f, doneMessage) => {
      if (running.current) return false;
      running.current = true;
      const epoch = ++actionEpoch.value;
      setBusy(true);
      setError(null);
      setDone(null);
      try {
        await f();
        setDone(doneMessage ? { text: doneMessage, epoch } : null);
        return true;
      } catch (e) {
        setError(e);
        return false;
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
  };
}

export function Loading() {
  return <p class="muted" aria-live="polite">{t("app.loading")}</p>;
}

export function Status(props: { prefix: string; value: string }) {
  return <span class={`badge badge-${props.value}`}>{tv(props.prefix, props.value)}</span>;
}

/**
 * The box a table scrolls in at phone width (the page itself never scrolls sideways): a named
 * region reachable by keyboard, so it can be scrolled without a mouse.
 */
export function TableBox(props: { label: string; children: ComponentChildren; class?: string; boxRef?: { current: HTMLDivElement | null } }) {
  return (
    <div class={props.class ? `table-wrap ${props.class}` : "table-wrap"} role="region" aria-label={props.label} tabIndex={0} ref={props.boxRef}>
      {props.children}
    </div>
  );
}
