import { useState } from "preact/hooks";
import { api } from "../api";
import { isAdmin, isEngineer, session } from "../auth";
import { t, tv } from "../i18n";
import { ErrorAlert, Field, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";

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
    </section>
  );
}
