import { useState } from "preact/hooks";
import { api } from "../api";
import { fmtInstant, t } from "../i18n";
import { ErrorAlert, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";

export function ClaimsPage() {
  const claims = useLoad(() => api.claims(), []);
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const pending = (claims.data ?? []).filter((c) => c.status === "pending");
  const decide = (claimId: string, approve: boolean) =>
    void action.run(async () => {
      await api.decideClaim(claimId, approve);
      setDone(approve ? t("claims.approved") : t("claims.rejected"));
      claims.reload();
    });
  return (
    <section>
      <PageTitle>{t("claims.title")}</PageTitle>
      {claims.loading && !claims.data && <Loading />}
      <ErrorAlert error={claims.error} onRetry={claims.reload} />
      <ErrorAlert error={action.error} />
      {done && <Notice>{done}</Notice>}
      {claims.data && pending.length === 0 && <p>{t("claims.empty")}</p>}
      <ul class="cards">
        {pending.map((c) => (
          <li key={c.claim_id} class="card">
            <dl class="facts">
              <dt>{t("claims.claimant")}</dt>
              <dd>{c.claimant_account_id}</dd>
              <dt>{c.order_confirmation_number ? t("claim.number") : t("claims.pack")}</dt>
              <dd>{c.order_confirmation_number ?? c.pack_id}</dd>
              <dt>{t("claims.owner")}</dt>
              <dd>{c.owner_account_id}</dd>
              <dt>{t("claims.reason")}</dt>
              <dd class="pre">{c.reason}</dd>
              <dt>{t("claims.submitted")}</dt>
              <dd>{fmtInstant(c.submitted_at)}</dd>
            </dl>
            <div class="buttons">
              <button type="button" class="primary" disabled={action.busy} onClick={() => decide(c.claim_id, true)}>
                {t("claims.approve")}
              </button>
              <button type="button" class="danger" disabled={action.busy} onClick={() => decide(c.claim_id, false)}>
                {t("claims.reject")}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
