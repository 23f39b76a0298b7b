import { useState } from "preact/hooks";
import { api } from "../api";
import { isAdmin, isEngineer, session } from "../auth";
import { fmtInstant, t, tv } from "../i18n";
import { ErrorAlert, Field, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";
import type { DataExport } from "../api";

/** Download my data: starts an export, shows its state, and a Download link when ready. */
function DataExportCard() {
  const [exp, setExp] = useState<DataExport | null>(null);
  const action = useAction();
  const refresh = (id: string) => void action.run(async () => setExp(await api.dataExport(id)));
  return (
    <section class="card" aria-labelledby="export-h">
      <h2 id="export-h">{t("export.title")}</h2>
      <p class="muted">{t("export.intro")}</p>
      <div class="buttons">
        <button
          type="button"
          class="primary"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const started = await api.requestExport();
              setExp(await api.dataExport(started.export_id));
            })
          }
        >
          {t("export.start")}
        </button>
        {exp && exp.status !== "ready" && (
          <button type="button" disabled={action.busy} onClick={() => refresh(exp.export_id)}>
            {t("export.check")}
          </button>
        )}
      </div>
      {exp && (
        <p role="status">
          {exp.status === "ready" ? t("export.ready") : t("export.preparing")}
          {exp.status === "ready" && exp.download_url && (
            <>
              {" "}
              <a href={exp.download_url} download>
                {t("export.download")}
              </a>
              {exp.expires_at && <> {t("export.expires", { at: fmtInstant(exp.expires_at) })}</>}
            </>
          )}
        </p>
      )}
      <ErrorAlert error={action.error} />
    </section>
  );
}

/** Request erasure: the reason, then one pending request for an admin to decide. */
function ErasureCard() {
  const [reason, setReason] = useState("");
  const action = useAction();
  return (
    <section class="card" aria-labelledby="erasure-h">
      <h2 id="erasure-h">{t("erasureReq.title")}</h2>
      <p class="muted">{t("erasureReq.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(() => api.requestErasure(reason.trim()), t("erasureReq.sent")).then((ok) => {
            if (ok) setReason("");
          });
        }}
      >
        <Field kind="textarea" label={t("erasureReq.reason")} value={reason} required maxLength={2000} onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" class="danger" disabled={action.busy}>
          {t("erasureReq.submit")}
        </button>
        <ErrorAlert error={action.error} />
        {action.done && <Notice>{action.done}</Notice>}
      </form>
    </section>
  );
}

export function AccountPage() {
  const account = useLoad(() => api.account(), []);
  const [jurisdiction, setJurisdiction] = useState("");
  const [certificate, setCertificate] = useState("");
  const action = useAction();
  const s = session.value;
  const roles = [t("role.customer"), ...(isEngineer(s) ? [t("role.engineer")] : []), ...(isAdmin(s) ? [t("role.admin")] : [])];
  const ex = account.data?.tax_exemption ?? null;
  return (
    <section>
      <PageTitle>{t("account.title")}</PageTitle>
      {account.loading && !account.data && <Loading />}
      <ErrorAlert error={account.error} onRetry={account.reload} />
      {account.data && (
        <dl class="facts card">
          <dt>{t("account.id")}</dt>
          <dd>{account.data.account_id}</dd>
          <dt>{t("account.email")}</dt>
          <dd>{account.data.email ?? t("account.noEmail")}</dd>
          <dt>{t("account.roles")}</dt>
          <dd>{roles.join(", ")}</dd>
        </dl>
      )}
      <section class="card" aria-labelledby="tax-h">
        <h2 id="tax-h">{t("tax.title")}</h2>
        <p class="muted">{t("tax.intro")}</p>
        {account.data && (
          <p role="status">
            {ex ? t("tax.current", { status: tv("status.tax", ex.status), jurisdiction: ex.jurisdiction }) : t("tax.none")}
          </p>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void action
              .run(() => api.submitExemption({ jurisdiction: jurisdiction.trim(), certificate_reference: certificate.trim() }), t("tax.sent"))
              .then((ok) => {
                if (ok) {
                  setJurisdiction("");
                  setCertificate("");
                  account.reload();
                }
              });
          }}
        >
          <Field label={t("tax.jurisdiction")} value={jurisdiction} required onInput={(e) => setJurisdiction(e.currentTarget.value)} />
          <Field label={t("tax.certificate")} value={certificate} required onInput={(e) => setCertificate(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={action.busy}>
            {t("tax.submit")}
          </button>
          <ErrorAlert error={action.error} />
          {action.done && <Notice>{action.done}</Notice>}
        </form>
      </section>
      <DataExportCard />
      <ErasureCard />
    </section>
  );
}
