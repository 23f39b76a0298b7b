import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtInstant, t } from "../i18n";
import { ErrorAlert, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";

export function TaxAdminPage() {
  const list = useLoad(() => api.exemptions(), []);
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const pending = (list.data ?? []).filter((x) => x.status === "pending");
  const decide = (accountId: string, approve: boolean) =>
    void action.run(async () => {
      await api.decideExemption(accountId, approve);
      setDone(approve ? t("taxadm.verified") : t("taxadm.rejected"));
      list.reload();
    });
  return (
    <section>
      <PageTitle>{t("taxadm.title")}</PageTitle>
      {list.loading && !list.data && <Loading />}
      <ErrorAlert error={list.error} onRetry={list.reload} />
      <ErrorAlert error={action.error} />
      {done && <Notice>{done}</Notice>}
      {list.data && pending.length === 0 && <p>{t("taxadm.empty")}</p>}
      <ul class="cards">
        {pending.map((x) => (
          <li key={x.account_id} class="card">
            <dl class="facts">
              <dt>{t("taxadm.account")}</dt>
              <dd>{x.account_id}</dd>
              <dt>{t("taxadm.jurisdiction")}</dt>
              <dd>{x.jurisdiction}</dd>
              <dt>{t("taxadm.certificate")}</dt>
              <dd>{x.certificate_reference}</dd>
              <dt>{t("taxadm.submitted")}</dt>
              <dd>{fmtInstant(x.submitted_at)}</dd>
            </dl>
            <div class="buttons">
              <button type="button" class="primary" disabled={action.busy} onClick={() => decide(x.account_id, true)}>
                {t("taxadm.verify")}
              </button>
              <button type="button" class="danger" disabled={action.busy} onClick={() => decide(x.account_id, false)}>
                {t("taxadm.reject")}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
