import { useState } from "preact/hooks";
import { api, ApiError, type Attachment, type AttachmentRequest, type Engineer, type Event, type Incident } from "../api";
import { isAdmin, isEngineer, session } from "../auth";
import { CHANNELS, getCalendars, getProducts } from "../catalog";
import { fmtDuration, fmtInstant, has, t, tv } from "../i18n";
import { ErrorAlert, Field, Link, Loading, Notice, PageTitle, Status, useAction, useLoad } from "../ui";
import { assignedForCustomer, assignedTitle, namesOf, OwnershipCard } from "../ownership";
import { Deadline } from "./new-incident";

const OPEN = new Set(["awaiting_response", "in_progress"]);
const MAX_BYTES = 52_428_800;
const TYPES: readonly AttachmentRequest["content_type"][] = [
  "text/plain", "text/csv", "application/json", "application/xml", "application/pdf", "application/zip",
  "application/gzip", "application/x-7z-compressed", "application/vnd.tcpdump.pcap", "application/octet-stream",
  "image/png", "image/jpeg",
];
const contentTypeOf = (file: File): AttachmentRequest["content_type"] =>
  TYPES.find((x) => x === file.type) ?? "application/octet-stream";

/** People by name: the customer's contact, engineers by display name (the customer sees only the owner's). */
function who(e: Event, incident: Incident, names: Map<string, string> | null): string {
  if (e.actor_account_id === "system") return t("ev.system");
  if (e.actor_account_id === session.value?.sub) return t("ev.you");
  if (e.actor_account_id === incident.account_id) return incident.contact.name;
  if (names) return names.get(e.actor_account_id) ?? t("ev.otherEngineer");
  return incident.owner?.account_id === e.actor_account_id ? incident.owner.display_name : t("ev.support");
}

/** names: for staff (every engineer by name); null for the customer. */
function EventItem(props: { e: Event; incident: Incident; names: Map<string, string> | null }) {
  const e = props.e;
  let title: string;
  if (e.kind === "assigned" && !props.names) {
    // The customer: who handles the incident now, without the staff's notes or authors.
    return (
      <li class="event">
        <p class="event-head">
          <strong>{assignedForCustomer(e, props.incident)}</strong> <span class="muted">· </span>
          <time dateTime={e.at}>{fmtInstant(e.at)}</time>
        </p>
      </li>
    );
  }
  switch (e.kind) {
    case "assigned":
      title = assignedTitle(e, props.names ?? new Map<string, string>());
      break;
    case "submitted":
      title = t("ev.submitted", { severity: tv("sev", e.severity ?? props.incident.severity) });
      break;
    case "response":
      title = t("ev.response", { channel: tv("channel", e.channel ?? "") });
      break;
    case "sub_problem_proposed":
      title = t("ev.sub_problem_proposed", { title: e.title ?? "" });
      break;
    case "charge_decided":
      title = t("ev.charge_decided", { charge: tv("charge", e.charge ?? "") });
      break;
    case "attachment_added":
      title = t("ev.attachment_added", { name: e.file_name ?? "" });
      break;
    case "contact_bounced":
      title = t("ev.contact_bounced", { kind: e.kind_of_failure ?? "" });
      break;
    case "customer_message":
      title = e.channel === "email" ? t("ev.customer_message_email") : t("ev.customer_message");
      break;
    case "rated":
      title = t("ev.rated", { score: tv("score", e.score ?? "") });
      break;
    default:
      title = has(`ev.${e.kind}`) ? tv("ev", e.kind) : t("ev.other", { kind: e.kind });
  }
  const text = e.message ?? e.reason ?? e.explanation ?? e.comment ?? e.note ?? null;
  return (
    <li class="event">
      <p class="event-head">
        <strong>{title}</strong> <span class="muted">· {t("ev.by", { who: who(e, props.incident, props.names) })} · </span>
        <time dateTime={e.at}>{fmtInstant(e.at)}</time>
      </p>
      {e.kind === "scope_proposed" && (
        <dl class="facts">
          <dt>{t("inc.problemStatement")}</dt>
          <dd class="pre">{e.problem_statement}</dd>
          <dt>{t("inc.resolutionCriteria")}</dt>
          <dd class="pre">{e.resolution_criteria}</dd>
        </dl>
      )}
      {e.kind === "sub_problem_proposed" && e.description && <p class="pre">{e.description}</p>}
      {e.kind === "resolved" && e.solutions && (
        <ul>
          {e.solutions.map((s) => (
            <li key={s} class="pre">
              {s}
            </li>
          ))}
        </ul>
      )}
      {text && <p class="pre">{text}</p>}
      {e.kind === "sub_problem_accepted" && e.child_incident_id && (
        <p>
          <Link href={`/incidents/${encodeURIComponent(e.child_incident_id)}`}>{t("ev.childLink")}</Link>
        </p>
      )}
    </li>
  );
}

function Timeline(props: { incident: Incident; names: Map<string, string> | null }) {
  const inc = props.incident;
  const [extra, setExtra] = useState<{ items: Event[]; cursor: string | null } | null>(null);
  const action = useAction();
  const items = [...(inc.timeline ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (inc.timeline_next_cursor ?? null);
  return (
    <section aria-labelledby="tl-h" class="card">
      <h2 id="tl-h">{t("inc.timeline")}</h2>
      <ol class="timeline">
        {items.map((e, i) => (
          <EventItem key={`${e.at}-${i}`} e={e} incident={inc} names={props.names} />
        ))}
      </ol>
      {cursor && (
        <button
          type="button"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const page = await api.timeline(inc.incident_id, cursor);
              setExtra({ items: [...(extra?.items ?? []), ...page.items], cursor: page.next_cursor });
            })
          }
        >
          {t("inc.loadMore")}
        </button>
      )}
      <ErrorAlert error={action.error} />
    </section>
  );
}

function Attachments(props: { incident: Incident; canUpload: boolean; onChange: () => void }) {
  const id = props.incident.incident_id;
  const list = useLoad(() => api.attachments(id), [id]);
  const action = useAction();
  const [status, setStatus] = useState<string | null>(null);
  const [inputKey, setInputKey] = useState(0);

  const upload = (file: File) =>
    void action.run(async () => {
      if (file.size > MAX_BYTES) throw new Error(t("inc.fileTooLarge"));
      if (file.size === 0) throw new Error(t("inc.fileEmpty"));
      setStatus(t("inc.uploading", { name: file.name }));
      const contentType = contentTypeOf(file);
      const ticket = await api.startUpload(id, { file_name: file.name, content_type: contentType, size_bytes: file.size });
      // Send the headers the URL signs (the browser sets Content-Length and Host itself); an
      // unsigned extra (a tracing header the SDK may add) would only trip the bucket's CORS rule.
      const signed = new URL(ticket.upload_url).searchParams.get("X-Amz-SignedHeaders")?.toLowerCase().split(";") ?? null;
      const headers = new Headers();
      for (const [k, v] of Object.entries(ticket.upload_headers)) {
        const name = k.toLowerCase();
        if (name === "content-length" || name === "host") continue;
        if (signed && !signed.includes(name)) continue;
        headers.set(k, v);
      }
      if (!headers.has("Content-Type")) headers.set("Content-Type", contentType);
      let put: Response;
      try {
        put = await fetch(ticket.upload_url, { method: ticket.upload_method, headers, body: file });
      } catch {
        throw new ApiError(0, "network", null, null);
      }
      if (!put.ok) throw new ApiError(put.status, put.status === 503 ? "service_unavailable" : "http", null, null);
      await api.completeUpload(id, ticket.attachment_id);
      setStatus(t("inc.uploaded", { name: file.name }));
      setInputKey((k) => k + 1);
      list.reload();
      props.onChange();
    });

  const items: Attachment[] = list.data ?? [];
  const err = action.error instanceof Error && !(action.error instanceof ApiError) ? null : action.error;
  return (
    <section aria-labelledby="att-h" class="card">
      <h2 id="att-h">{t("inc.attachments")}</h2>
      {list.loading && !list.data && <Loading />}
      {list.error !== null && !(list.error instanceof ApiError && list.error.code === "not_found") && (
        <ErrorAlert error={list.error} onRetry={list.reload} />
      )}
      {list.error instanceof ApiError && list.error.code === "not_found" && <p class="muted">{t("inc.attachmentsUnavailable")}</p>}
      {list.data && items.length === 0 && <p class="muted">{t("inc.noAttachments")}</p>}
      {items.length > 0 && (
        <ul class="attachments">
          {items.map((a) => (
            <li key={a.attachment_id}>
              {a.download_url ? (
                <a href={a.download_url} download={a.file_name}>
                  {a.file_name}
                </a>
              ) : (
                <span>
                  {a.file_name} <span class="muted">({t("inc.pendingUpload")})</span>
                </span>
              )}{" "}
              <span class="muted">
                · {(a.size_bytes / 1024).toFixed(1)} KB · {fmtInstant(a.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {props.canUpload && (
        <Field
          label={t("inc.attachFile")}
          type="file"
          hint={t("inc.attachHint")}
          disabled={action.busy}
          key={inputKey}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) upload(file);
          }}
        />
      )}
      {action.error instanceof Error && !(action.error instanceof ApiError) && (
        <p role="alert" class="alert">
          {action.error.message}
        </p>
      )}
      <ErrorAlert error={err} />
      {status && !action.error && <Notice>{status}</Notice>}
    </section>
  );
}

/** A small form: one action, its error and its confirmation. */
function ActionForm(props: {
  title?: string;
  intro?: string;
  children: preact.ComponentChildren;
  submit: string;
  onSubmit: () => Promise<unknown>;
  reset?: () => void;
  danger?: boolean;
}) {
  const action = useAction();
  return (
    <form
      class="action-form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(props.onSubmit, t("inc.done")).then((ok) => ok && props.reset?.());
      }}
    >
      {props.title && <h3>{props.title}</h3>}
      {props.intro && <p class="muted">{props.intro}</p>}
      {props.children}
      <button type="submit" class={props.danger ? "danger" : "primary"} disabled={action.busy}>
        {props.submit}
      </button>
      <ErrorAlert error={action.error} />
      {action.done && <Notice>{action.done}</Notice>}
    </form>
  );
}

function useText(): [string, (e: { currentTarget: { value: string } }) => void, () => void] {
  const [v, setV] = useState("");
  return [v, (e) => setV(e.currentTarget.value), () => setV("")];
}

function CustomerActions(props: { incident: Incident; after: (i?: Incident) => void }) {
  const inc = props.incident;
  const [message, setMessage, clearMessage] = useText();
  const [reason, setReason, clearReason] = useText();
  const scopeAction = useAction();
  const subAction = useAction();
  const [child, setChild] = useState<string | null>(null);
  const timeline = inc.timeline ?? [];
  const decided = new Set(
    timeline.filter((e) => e.kind === "sub_problem_accepted" || e.kind === "sub_problem_declined").map((e) => e.proposal_id),
  );
  const proposals = timeline.filter((e) => e.kind === "sub_problem_proposed" && e.proposal_id && !decided.has(e.proposal_id));
  const open = OPEN.has(inc.status);
  return (
    <>
      {inc.scope?.status === "proposed" && (
        <section class="card" aria-labelledby="scope-decide-h">
          <h2 id="scope-decide-h">{t("inc.scopeProposed")}</h2>
          <dl class="facts">
            <dt>{t("inc.problemStatement")}</dt>
            <dd class="pre">{inc.scope.problem_statement}</dd>
            <dt>{t("inc.resolutionCriteria")}</dt>
            <dd class="pre">{inc.scope.resolution_criteria}</dd>
          </dl>
          <div class="buttons">
            <button
              type="button"
              class="primary"
              disabled={scopeAction.busy}
              onClick={() => void scopeAction.run(async () => props.after(await api.decideScope(inc.incident_id, true)))}
            >
              {t("inc.acceptScope")}
            </button>
            <button
              type="button"
              disabled={scopeAction.busy}
              onClick={() => void scopeAction.run(async () => props.after(await api.decideScope(inc.incident_id, false)))}
            >
              {t("inc.rejectScope")}
            </button>
          </div>
          <ErrorAlert error={scopeAction.error} />
        </section>
      )}
      {proposals.length > 0 && (
        <section class="card" aria-labelledby="subs-h">
          <h2 id="subs-h">{t("inc.subProblems")}</h2>
          <p class="muted">{t("inc.subNote")}</p>
          <ul class="plain">
            {proposals.map((p) => (
              <li key={p.proposal_id}>
                <h3>{p.title}</h3>
                <p class="pre">{p.description}</p>
                <div class="buttons">
                  <button
                    type="button"
                    class="primary"
                    disabled={subAction.busy}
                    onClick={() =>
                      void subAction.run(async () => {
                        const r = (await api.decideSub(inc.incident_id, p.proposal_id ?? "", true)) as Partial<Incident>;
                        if (typeof r.incident_id === "string") setChild(r.incident_id);
                        props.after();
                      })
                    }
                  >
                    {t("inc.acceptSub")}
                  </button>
                  <button
                    type="button"
                    disabled={subAction.busy}
                    onClick={() =>
                      void subAction.run(async () => {
                        await api.decideSub(inc.incident_id, p.proposal_id ?? "", false);
                        props.after();
                      })
                    }
                  >
                    {t("inc.declineSub")}
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <ErrorAlert error={subAction.error} />
        </section>
      )}
      {child && (
        <Notice>
          <Link href={`/incidents/${encodeURIComponent(child)}`}>{t("ev.childLink")}</Link>
        </Notice>
      )}
      {open && (
        <section class="card" aria-labelledby="msg-h">
          <h2 id="msg-h">{t("inc.writeToSupport")}</h2>
          <ActionForm submit={t("inc.sendMessage")} onSubmit={async () => (await api.message(inc.incident_id, message.trim()), props.after())} reset={clearMessage}>
            <Field label={t("inc.message")} kind="textarea" rows={4} required value={message} onInput={setMessage} />
          </ActionForm>
        </section>
      )}
      {open && (
        <section class="card" aria-labelledby="close-h">
          <h2 id="close-h">{t("inc.closure")}</h2>
          <ActionForm
            intro={t("inc.closureIntro")}
            submit={t("inc.requestClosure")}
            danger
            onSubmit={async () => props.after(await api.requestClosure(inc.incident_id, reason.trim()))}
            reset={clearReason}
          >
            <Field label={t("inc.reason")} kind="textarea" rows={2} required value={reason} onInput={setReason} />
          </ActionForm>
        </section>
      )}
    </>
  );
}

function EngineerActions(props: { incident: Incident; after: (i?: Incident) => void }) {
  const inc = props.incident;
  const id = inc.incident_id;
  const [response, setResponse, clearResponse] = useText();
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>("email");
  const [problem, setProblem, clearProblem] = useText();
  const [criteria, setCriteria, clearCriteria] = useText();
  const [subTitle, setSubTitle, clearSubTitle] = useText();
  const [subDesc, setSubDesc, clearSubDesc] = useText();
  const [solutions, setSolutions, clearSolutions] = useText();
  const [explanation, setExplanation, clearExplanation] = useText();
  const [charge, setCharge] = useState<"consumed" | "refunded">("refunded");
  return (
    <section class="card engineer" aria-labelledby="eng-h">
      <h2 id="eng-h">{t("inc.engineer")}</h2>
      <ActionForm
        submit={t("inc.sendResponse")}
        onSubmit={async () => (await api.respond(id, { message: response.trim(), channel }), props.after())}
        reset={clearResponse}
      >
        <Field label={t("inc.response")} kind="textarea" rows={4} required value={response} onInput={setResponse} />
        <Field label={t("inc.channel")} kind="select" value={channel} onChange={(e) => setChannel(e.currentTarget.value as typeof channel)}>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {tv("channel", c)}
            </option>
          ))}
        </Field>
      </ActionForm>
      <ActionForm
        title={t("inc.scopeForm")}
        submit={t("inc.proposeScope")}
        onSubmit={async () => props.after(await api.proposeScope(id, { problem_statement: problem.trim(), resolution_criteria: criteria.trim() }))}
        reset={() => (clearProblem(), clearCriteria())}
      >
        <Field label={t("inc.problemStatement")} kind="textarea" rows={3} required value={problem} onInput={setProblem} />
        <Field label={t("inc.resolutionCriteria")} kind="textarea" rows={3} required value={criteria} onInput={setCriteria} />
      </ActionForm>
      <ActionForm
        title={t("inc.subProblems")}
        submit={t("inc.proposeSub")}
        onSubmit={async () => (await api.proposeSub(id, { title: subTitle.trim(), description: subDesc.trim() }), props.after())}
        reset={() => (clearSubTitle(), clearSubDesc())}
      >
        <Field label={t("inc.subTitle")} required value={subTitle} onInput={setSubTitle} />
        <Field label={t("inc.subDescription")} kind="textarea" rows={3} required value={subDesc} onInput={setSubDesc} />
      </ActionForm>
      <ActionForm
        title={t("inc.resolve")}
        submit={t("inc.markResolved")}
        onSubmit={async () =>
          props.after(
            await api.resolve(id, {
              outcome: "resolved",
              solutions: solutions
                .split("\n")
                .map((s) => s.trim())
                .filter(Boolean),
            }),
          )
        }
        reset={clearSolutions}
      >
        <Field label={t("inc.solutions")} kind="textarea" rows={3} required hint={t("inc.solutionsHint")} value={solutions} onInput={setSolutions} />
      </ActionForm>
      <ActionForm
        title={t("inc.closeUnresolved")}
        submit={t("inc.closeUnresolved")}
        danger
        onSubmit={async () => props.after(await api.resolve(id, { outcome: "unresolved", explanation: explanation.trim(), charge }))}
        reset={clearExplanation}
      >
        <Field label={t("inc.explanation")} kind="textarea" rows={3} required value={explanation} onInput={setExplanation} />
        <Field label={t("inc.charge.label")} kind="select" value={charge} onChange={(e) => setCharge(e.currentTarget.value as typeof charge)}>
          <option value="refunded">{t("charge.refunded")}</option>
          <option value="consumed">{t("charge.consumed")}</option>
        </Field>
      </ActionForm>
    </section>
  );
}

function ChargeDecision(props: { incident: Incident; after: (i?: Incident) => void }) {
  const action = useAction();
  const id = props.incident.incident_id;
  return (
    <section class="card" aria-labelledby="charge-h">
      <h2 id="charge-h">{t("inc.chargeDecision")}</h2>
      <p>{t("inc.chargeIntro")}</p>
      <div class="buttons">
        <button type="button" class="primary" disabled={action.busy} onClick={() => void action.run(async () => props.after(await api.decideCharge(id, "consumed")))}>
          {t("inc.consume")}
        </button>
        <button type="button" disabled={action.busy} onClick={() => void action.run(async () => props.after(await api.decideCharge(id, "refunded")))}>
          {t("inc.refund")}
        </button>
      </div>
      <ErrorAlert error={action.error} />
    </section>
  );
}

export function IncidentPage(props: { id: string }) {
  const incident = useLoad(() => api.incident(props.id), [props.id]);
  const calendars = useLoad(getCalendars, []);
  const products = useLoad(getProducts, []);
  const s = session.value;
  const staff = isEngineer(s) || isAdmin(s);
  const engineers = useLoad<Engineer[] | null>(() => (staff ? api.engineers() : Promise.resolve(null)), [staff]);
  const inc = incident.data;
  if (!inc) {
    return (
      <section>
        <PageTitle>{incident.error ? t("err.not_found") : t("app.loading")}</PageTitle>
        {incident.loading && <Loading />}
        <ErrorAlert error={incident.error} onRetry={incident.reload} />
      </section>
    );
  }
  const owner = s?.sub === inc.account_id;
  const engineer = isEngineer(s);
  const open = OPEN.has(inc.status);
  // An action answering the incident replaces it; others reload it (with its new timeline).
  const after = (i?: Incident) => (i && i.incident_id === inc.incident_id && i.timeline ? incident.set(i) : incident.reload());
  const responded = inc.first_responded_at;
  const product = products.data?.find((p) => p.product_id === inc.product_id);
  const names = staff ? namesOf(inc, engineers.data) : null;
  return (
    <article>
      <PageTitle>{inc.title}</PageTitle>
      {inc.contact_unreachable && (
        <p role="alert" class="alert" data-testid="contact-unreachable">
          <strong>{t("inc.contactUnreachable")}</strong> {t("inc.contactUnreachableHint")}
        </p>
      )}
      <dl class="facts card summary">
        <dt>{t("inc.status")}</dt>
        <dd>
          <Status prefix="status" value={inc.status} />
        </dd>
        <dt>{t("inc.sla")}</dt>
        <dd>
          <Status prefix="sla" value={inc.sla} />
        </dd>
        {staff ? (
          <>
            <dt>{t("owner.label")}</dt>
            <dd>{inc.owner ? inc.owner.display_name : t("owner.none")}</dd>
          </>
        ) : (
          inc.owner && (
            <>
              <dt>{t("owner.yourEngineer")}</dt>
              <dd>{inc.owner.display_name}</dd>
            </>
          )
        )}
        <dt>{t("inc.firstResponseDue")}</dt>
        <dd>
          <Deadline at={inc.first_response_due_at} calendar={inc.calendar} calendars={calendars.data} />
        </dd>
        <dt>{t("inc.firstResponded")}</dt>
        <dd>
          {responded
            ? t("inc.firstRespondedIn", { at: fmtInstant(responded), duration: fmtDuration(Date.parse(responded) - Date.parse(inc.created_at)) })
            : t("inc.notYet")}
        </dd>
        <dt>{t("sev.label")}</dt>
        <dd>{tv("sev", inc.severity)}</dd>
        <dt>{t("inc.product")}</dt>
        <dd>{product?.name ?? inc.product_id}</dd>
        <dt>{t("inc.category")}</dt>
        <dd>{tv("cat", inc.category)}</dd>
        <dt>{t("inc.calendar")}</dt>
        <dd>{tv("cal", inc.calendar)}</dd>
        <dt>{t("inc.charge")}</dt>
        <dd>{tv("charge", inc.charge)}</dd>
        <dt>{t("inc.contact")}</dt>
        <dd>
          {inc.contact.name} · {inc.contact.email}
          {inc.contact.phone ? ` · ${inc.contact.phone}` : ""}
        </dd>
        {inc.parent_incident_id && (
          <>
            <dt>{t("inc.parent")}</dt>
            <dd>
              <Link href={`/incidents/${encodeURIComponent(inc.parent_incident_id)}`}>{inc.parent_incident_id}</Link>
            </dd>
          </>
        )}
      </dl>
      {staff && open && <OwnershipCard incident={inc} engineers={engineers.data} after={after} />}
      <section class="card" aria-labelledby="desc-h">
        <h2 id="desc-h">{t("inc.description")}</h2>
        <p class="pre">{inc.description}</p>
        {inc.scope && (inc.scope.status !== "proposed" || !owner) && (
          <>
            <h3>
              {inc.scope.status === "proposed" ? t("inc.scopeProposed") : t("inc.scope")} ({t(`inc.scopeStatus.${inc.scope.status}`)})
            </h3>
            <dl class="facts">
              <dt>{t("inc.problemStatement")}</dt>
              <dd class="pre">{inc.scope.problem_statement}</dd>
              <dt>{t("inc.resolutionCriteria")}</dt>
              <dd class="pre">{inc.scope.resolution_criteria}</dd>
            </dl>
          </>
        )}
      </section>
      {!open && <Notice>{t("inc.closed")}</Notice>}
      {owner && <CustomerActions incident={inc} after={after} />}
      {inc.charge === "pending" && (engineer || isAdmin(s)) && <ChargeDecision incident={inc} after={after} />}
      <Timeline key={inc.timeline?.length ?? 0} incident={inc} names={names} />
      <Attachments incident={inc} canUpload={open && (owner || engineer)} onChange={incident.reload} />
      {engineer && open && <EngineerActions incident={inc} after={after} />}
      {incident.error !== null && <ErrorAlert error={incident.error} onRetry={incident.reload} />}
    </article>
  );
}
