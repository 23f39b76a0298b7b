import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import { fmtInstant, t } from "../i18n";
import { ErrorAlert, Loading, Notice, PageTitle, useAction, useLoad } from "../ui";

/** Admins: pending erasure requests, each with Erase (asks first) and Reject. */
export function ErasureRequestsPage() {
  const list = useLoad(() => api.erasureRequests(), []);
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const decide = (accountId: string, approve: boolean) => {
    setConfirming(null);
    setDone(null);
    void action.run(async () => {
      await api.decideErasure(accountId, approve);
      setDone(approve ? t("erasure.erased") : t("erasure.rejected"));
      list.reload();
    });
  };
  const items = list.data ?? [];
  return (
    <section>
      <PageTitle>{t("erasure.title")}</PageTitle>
      {list.loading && !list.data && <Loading />}
      <ErrorAlert error={list.error} onRetry={list.reload} />
      <ErrorAlert error={action.error} />
      {done && <Notice>{done}</Notice>}
      {list.data && items.length === 0 && <p>{t("erasure.empty")}</p>}
      <ul class="cards">
        {items.map((x) => (
          <li key={x.account_id} class="card">
            <dl class="facts">
              <dt>{t("erasure.account")}</dt>
              <dd>{x.account_id}</dd>
              <dt>{t("erasure.reason")}</dt>
              <dd>{x.reason}</dd>
              <dt>{t("erasure.requested")}</dt>
              <dd>{fmtInstant(x.requested_at)}</dd>
            </dl>
            <div class="buttons">
              <button type="button" class="danger" disabled={action.busy} onClick={() => setConfirming(x.account_id)}>
                {t("erasure.erase")}
              </button>
              <button type="button" disabled={action.busy} onClick={() => decide(x.account_id, false)}>
                {t("erasure.reject")}
              </button>
            </div>
            {confirming === x.account_id && (
              <ConfirmErase onConfirm={() => decide(x.account_id, true)} onCancel={() => setConfirming(null)} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ConfirmErase(props: { onConfirm: () => void; onCancel: () => void }) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-labelledby="erase-dialog-h"
      aria-describedby="erase-dialog-p"
      class="card dialog"
      onKeyDown={(e) => {
        if (e.key === "Escape") props.onCancel();
      }}
    >
      <h2 id="erase-dialog-h">{t("erasure.confirmTitle")}</h2>
      <p id="erase-dialog-p">{t("erasure.confirmText")}</p>
      <div class="buttons">
        <button ref={confirm} type="button" class="danger" onClick={props.onConfirm}>
          {t("erasure.confirm")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("erasure.cancel")}
        </button>
      </div>
    </div>
  );
}
