import { useState } from "preact/hooks";
import { api, type PackClaim } from "../api";
import { fmtInstant, t } from "../i18n";
import { ErrorAlert, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";

/** The order confirmation number the claimant typed, which people know the pack by (API v3). */
function orderNumberOf(c: PackClaim): string | null {
  const n = (c as { order_confirmation_number?: unknown }).order_confirmation_number;
  return typeof n === "string" && n !== "" ? n : null;
}

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
              <dt>{orderNumberOf(c) ? t("claim.number") : t("claims.pack")}</dt>
              <dd>{orderNumberOf(c) ?? c.pack_id}</dd>
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
