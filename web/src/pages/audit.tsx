import { useState } from "preact/hooks";
import { api, type AuditEntry } from "../api";
import { fmtInstant, t, tv } from "../i18n";
import { ErrorAlert, Field, Link, Loading, PageTitle, useAction, useLoad, TableBox } from "../ui";

interface Filters {
  actor: string;
  subject: string;
}

function details(e: AuditEntry): string {
  return Object.entries(e.details)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

function Subject(props: { e: AuditEntry }) {
  const { kind, id } = props.e.subject;
  const label = `${tv("audit.kind", kind)} ${id}`;
  return kind === "incident" ? <Link href={`/incidents/${encodeURIComponent(id)}`}>{label}</Link> : <>{label}</>;
}

/** The audit log (support-admins): newest first, filterable by actor and subject. */
export function AuditPage() {
  const [filters, setFilters] = useState<Filters>({ actor: "", subject: "" });
  const [draft, setDraft] = useState<Filters>(filters);
  const [more, setMore] = useState<{ items: AuditEntry[]; next: string | null } | null>(null);
  const first = useLoad(() => api.audit(filters.actor, filters.subject, null), [filters.actor, filters.subject]);
  // Staff by name where the desk knows them (every engineer and admin who has used it).
  const engineers = useLoad(() => api.engineers().catch(() => []), []);
  const names = new Map((engineers.data ?? []).map((x) => [x.account_id, x.display_name]));
  const next = useAction();
  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.next : (first.data?.next_cursor ?? null);
  return (
    <section>
      <PageTitle>{t("audit.title")}</PageTitle>
      <p>{t("audit.intro")}</p>
      <form
        class="card inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setMore(null);
          setFilters({ actor: draft.actor.trim(), subject: draft.subject.trim() });
        }}
      >
        <Field label={t("audit.actor")} value={draft.actor} onInput={(e) => setDraft({ ...draft, actor: e.currentTarget.value })} />
        <Field label={t("audit.subject")} value={draft.subject} onInput={(e) => setDraft({ ...draft, subject: e.currentTarget.value })} />
        <button type="submit" class="primary">
          {t("audit.filter")}
        </button>
      </form>
      {first.loading && !first.data && <Loading />}
      <ErrorAlert error={first.error} onRetry={first.reload} />
      {first.data && items.length === 0 && <p>{t("audit.empty")}</p>}
      {items.length > 0 && (
        <TableBox label={t("audit.table")} class="card">
          <table>
            <caption>{t("audit.table")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("audit.at")}</th>
                <th scope="col">{t("audit.actor")}</th>
                <th scope="col">{t("audit.action")}</th>
                <th scope="col">{t("audit.subject")}</th>
                <th scope="col">{t("audit.details")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e, i) => (
                <tr key={`${e.at}-${e.subject.id}-${i}`}>
                  <td>
                    <time dateTime={e.at}>{fmtInstant(e.at)}</time>
                  </td>
                  <td>{names.get(e.actor_account_id) ?? e.actor_account_id}</td>
                  <td>{tv("audit.action", e.action)}</td>
                  <td>
                    <Subject e={e} />
                  </td>
                  <td>{details(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      {cursor && (
        <button
          type="button"
          disabled={next.busy}
          onClick={() =>
            void next.run(async () => {
              const page = await api.audit(filters.actor, filters.subject, cursor);
              setMore({ items: [...(more?.items ?? []), ...page.items], next: page.next_cursor });
            })
          }
        >
          {t("audit.more")}
        </button>
      )}
      <ErrorAlert error={next.error} />
    </section>
  );
}
