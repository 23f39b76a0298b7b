// Staff actions on an incident: the next expected one open, the others folded away; the internal
// note; the charge decision of an early closure. Paid or irreversible ones ask first.
import { useState } from "preact/hooks";
import { api, type Incident } from "../../api";
import { CHANNELS } from "../../catalog";
import { t, tn, tv } from "../../i18n";
import { ErrorAlert, Field, useAction, useConfirm } from "../../ui";
import { ActionForm, More, useText } from "./forms";
import { awaitingCustomer, engineerActions, type EngineerAction } from "../../incident-state";

/** What closing does to proposals that await the customer, when there are any. */
function withdrawn(inc: Incident): string[] {
  const n = awaitingCustomer(inc);
  return n > 0 ? [tn("dlg.withdraws", n)] : [];
}

export function EngineerActions(props: { incident: Incident; after: (i?: Incident) => void }) {
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
  const list = solutions
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const forms: Record<EngineerAction, { title: string; form: preact.JSX.Element }> = {
    respond: {
      title: inc.status === "awaiting_response" ? t("inc.firstResponseForm") : t("inc.response"),
      form: (
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
      ),
    },
    scope: {
      title: t("inc.scopeForm"),
      form: (
        <ActionForm
          intro={inc.scope?.status === "rejected" ? t("inc.scopeAgain") : t("inc.scopeIntro")}
          submit={t("inc.proposeScope")}
          onSubmit={async () => props.after(await api.proposeScope(id, { problem_statement: problem.trim(), resolution_criteria: criteria.trim() }))}
          reset={() => (clearProblem(), clearCriteria())}
        >
          <Field label={t("inc.problemStatement")} kind="textarea" rows={3} required value={problem} onInput={setProblem} />
          <Field label={t("inc.resolutionCriteria")} kind="textarea" rows={3} required value={criteria} onInput={setCriteria} />
        </ActionForm>
      ),
    },
    sub: {
      title: t("inc.subForm"),
      form: (
        <ActionForm
          intro={t("inc.subIntro")}
          submit={t("inc.proposeSub")}
          onSubmit={async () => (await api.proposeSub(id, { title: subTitle.trim(), description: subDesc.trim() }), props.after())}
          reset={() => (clearSubTitle(), clearSubDesc())}
        >
          <Field label={t("inc.subTitle")} required value={subTitle} onInput={setSubTitle} />
          <Field label={t("inc.subDescription")} kind="textarea" rows={3} required value={subDesc} onInput={setSubDesc} />
        </ActionForm>
      ),
    },
    resolve: {
      title: t("inc.resolve"),
      form: (
        <ActionForm
          submit={t("inc.markResolved")}
          onSubmit={async () => props.after(await api.resolve(id, { outcome: "resolved", solutions: list }))}
          reset={clearSolutions}
          ask={() => ({ title: t("dlg.resolve.title"), lines: [t("dlg.resolve.what"), ...withdrawn(inc)] })}
        >
          <Field label={t("inc.solutions")} kind="textarea" rows={3} required hint={t("inc.solutionsHint")} value={solutions} onInput={setSolutions} />
        </ActionForm>
      ),
    },
    unresolved: {
      title: t("inc.closeUnresolvedTitle"),
      form: (
        <ActionForm
          submit={t("inc.closeUnresolved")}
          danger
          onSubmit={async () => props.after(await api.resolve(id, { outcome: "unresolved", explanation: explanation.trim(), charge }))}
          reset={clearExplanation}
          ask={() => ({
            title: t("dlg.unresolved.title"),
            lines: [t("dlg.unresolved.what"), charge === "refunded" ? t("dlg.refund.cost") : t("dlg.consume.cost"), ...withdrawn(inc)],
            danger: true,
          })}
        >
          <Field label={t("inc.explanation")} kind="textarea" rows={3} required value={explanation} onInput={setExplanation} />
          <Field label={t("inc.charge.label")} kind="select" value={charge} onChange={(e) => setCharge(e.currentTarget.value as typeof charge)}>
            <option value="refunded">{t("charge.refunded")}</option>
            <option value="consumed">{t("charge.consumed")}</option>
          </Field>
        </ActionForm>
      ),
    },
  };
  const [next, ...rest] = engineerActions(inc);
  if (!next) return null;
  const waiting = inc.scope?.status === "proposed";
  return (
    <section class="card engineer next" aria-labelledby="eng-h">
      <h2 id="eng-h">{t("inc.nextStep", { step: forms[next].title })}</h2>
      {waiting && <p class="muted">{t("inc.scopeWaiting")}</p>}
      {forms[next].form}
      <h3 class="more-h">{t("inc.otherSteps")}</h3>
      {rest.map((a) => (
        <More key={a} summary={forms[a].title}>
          {forms[a].form}
        </More>
      ))}
    </section>
  );
}

/** Internal notes: staff only, on open and closed incidents; the customer never sees them. */
export function NoteBox(props: { incident: Incident; after: (i?: Incident) => void }) {
  const [note, setNote, clearNote] = useText();
  return (
    <section class="card note-box" aria-labelledby="note-h">
      <h2 id="note-h">{t("note.title")}</h2>
      <ActionForm
        intro={t("note.intro")}
        submit={t("note.add")}
        onSubmit={async () => (await api.addNote(props.incident.incident_id, note.trim()), props.after())}
        reset={clearNote}
      >
        <Field label={t("note.label")} kind="textarea" rows={3} maxLength={10000} required value={note} onInput={setNote} />
      </ActionForm>
    </section>
  );
}

/**
 * An early closure's unit: consumed or refunded, asked first. When the first response never came,
 * refunding is the expected answer and is the primary button.
 */
export function ChargeDecision(props: { incident: Incident; after: (i?: Incident) => void }) {
  const action = useAction();
  const { confirm, dialog } = useConfirm();
  const inc = props.incident;
  const id = inc.incident_id;
  const answered = inc.first_responded_at !== null;
  const decide = (c: "consumed" | "refunded") =>
    confirm({
      title: c === "consumed" ? t("dlg.consume.title") : t("dlg.refund.title"),
      lines: [c === "consumed" ? t("dlg.consume.cost") : t("dlg.refund.cost"), t("dlg.final")],
      danger: c === "consumed",
      run: () => void action.run(async () => props.after(await api.decideCharge(id, c))),
    });
  return (
    <section class="card next" aria-labelledby="charge-h">
      <h2 id="charge-h">{t("inc.chargeDecision")}</h2>
      <p>{t("inc.chargeIntro")}</p>
      <p>{answered ? t("inc.chargeAnswered") : t("inc.chargeUnanswered")}</p>
      <div class="buttons">
        <button type="button" class={answered ? "primary" : ""} disabled={action.busy} onClick={() => decide("consumed")}>
          {t("inc.consume")}
        </button>
        <button type="button" class={answered ? "" : "primary"} disabled={action.busy} onClick={() => decide("refunded")}>
          {t("inc.refund")}
        </button>
      </div>
      <ErrorAlert error={action.error} focus />
      {dialog}
    </section>
  );
}
