// The customer's side of an open incident: decisions on what awaits it first, then writing to
// support, then (out of the way) asking to close.
import { useState } from "preact/hooks";
import { api, type Incident } from "../../api";
import { fmtDate, t, tn } from "../../i18n";
import { packToDraw } from "../../packs";
import { ErrorAlert, Field, Link, Notice, useAction, useConfirm, useLoad } from "../../ui";
import { ActionForm, More, useText } from "./forms";
import { isOpen, pendingSubProblems, scopeAwaiting } from "../../incident-state";

export function CustomerActions(props: { incident: Incident; after: (i?: Incident) => void }) {
  const inc = props.incident;
  const [message, setMessage, clearMessage] = useText();
  const [reason, setReason, clearReason] = useText();
  const scopeAction = useAction();
  const subAction = useAction();
  const { confirm, dialog } = useConfirm();
  const [child, setChild] = useState<string | null>(null);
  const proposals = pendingSubProblems(inc);
  // What accepting a sub-problem costs: one unit of the pack intake would draw from.
  const packs = useLoad(() => (proposals.length > 0 ? api.packs() : Promise.resolve(null)), [proposals.length > 0]);
  const pack = packs.data ? packToDraw(packs.data) : null;
  const open = isOpen(inc);
  const cost = () =>
    pack
      ? t("dlg.acceptSub.cost", {
          remaining: tn("units.remaining", pack.incidents_remaining),
          number: pack.order_confirmation_number,
          date: fmtDate(pack.expires_at),
        })
      : t("dlg.acceptSub.noPack");
  return (
    <>
      {scopeAwaiting(inc) && inc.scope && (
        <section class="card next" aria-labelledby="scope-decide-h">
          <h2 id="scope-decide-h">{t("inc.scopeProposed")}</h2>
          <p>{t("inc.scopeDecideIntro")}</p>
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
          <ErrorAlert error={scopeAction.error} focus />
        </section>
      )}
      {proposals.length > 0 && (
        <section class="card next" aria-labelledby="subs-h">
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
                    disabled={subAction.busy || (packs.loading && !packs.data)}
                    onClick={() =>
                      confirm({
                        title: t("dlg.acceptSub.title", { title: p.title ?? "" }),
                        lines: [t("dlg.acceptSub.what"), cost()],
                        run: () =>
                          void subAction.run(async () => {
                            const r = (await api.decideSub(inc.incident_id, p.proposal_id ?? "", true)) as Partial<Incident>;
                            if (typeof r.incident_id === "string") setChild(r.incident_id);
                            props.after();
                          }),
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
          <ErrorAlert error={subAction.error} focus />
          {dialog}
        </section>
      )}
      {child && (
        <Notice focus>
          {t("inc.subAccepted")} <Link href={`/incidents/${encodeURIComponent(child)}`}>{t("ev.childLink")}</Link>
        </Notice>
      )}
      {open && (
        <section class="card" aria-labelledby="msg-h">
          <h2 id="msg-h">{t("inc.writeToSupport")}</h2>
          <ActionForm submit={t("inc.sendMessage")} onSubmit={async () => (await api.message(inc.incident_id, message.trim()), props.after())} reset={clearMessage}>
            <Field label={t("inc.message")} kind="textarea" rows={4} required value={message} onInput={setMessage} />
          </ActionForm>
          <More summary={t("inc.closure")}>
            <ActionForm
              intro={t("inc.closureIntro")}
              submit={t("inc.requestClosure")}
              danger
              onSubmit={async () => props.after(await api.requestClosure(inc.incident_id, reason.trim()))}
              reset={clearReason}
              ask={() => ({
                title: t("dlg.closure.title"),
                lines: [t("dlg.closure.what"), t("dlg.closure.cost")],
                danger: true,
              })}
            >
              <Field label={t("inc.reason")} kind="textarea" rows={2} required value={reason} onInput={setReason} />
            </ActionForm>
          </More>
        </section>
      )}
    </>
  );
}
