// The staff's lists: My incidents (the caller's open ones, earliest deadline first) and every
// incident with the filters Owner, Status, Severity and SLA (the API's values, kept in the address).
import { api, type IncidentFilters } from "../api";
import { isEngineer, session } from "../auth";
import { SEVERITIES, SLA_OUTCOMES, STATUSES } from "../catalog";
import { t, tv } from "../i18n";
import { FindByNumber, PagedIncidents, usePagedIncidents } from "../incident-list";
import { navigate, search } from "../router";
import { ErrorAlert, Field, PageTitle, useLoad } from "../ui";

export function MyIncidentsPage() {
  const list = usePagedIncidents((cursor) => api.incidents(cursor, { owner: "me", open: "true" }), []);
  return (
    <section>
      <PageTitle>{t("mine.title")}</PageTitle>
      <p class="muted">{t("mine.intro")}</p>
      <button type="button" onClick={list.first.reload}>
        {t("app.refresh")}
      </button>
      <PagedIncidents list={list} caption={t("mine.title")} empty={t("mine.empty")} />
    </section>
  );
}

type Filter = "owner" | "status" | "severity" | "sla";

/** The filters in the address; a value the API does not know is left out. */
function filtersOf(query: string): IncidentFilters {
  const q = new URLSearchParams(query);
  const pick = <T extends string>(name: Filter, allowed: readonly T[]) => allowed.find((v) => v === q.get(name));
  const out: IncidentFilters = {};
  const owner = q.get("owner");
  if (owner) out.owner = owner;
  const status = pick("status", STATUSES);
  if (status) out.status = status;
  const severity = pick("severity", SEVERITIES);
  if (severity) out.severity = severity;
  const sla = pick("sla", SLA_OUTCOMES);
  if (sla) out.sla = sla;
  return out;
}

export function AllIncidentsPage() {
  const filters = filtersOf(search.value);
  const key = JSON.stringify(filters);
  const list = usePagedIncidents((cursor) => api.incidents(cursor, filters), [key]);
  const engineers = useLoad(() => api.engineers(), []);
  const me = session.value?.sub;
  const set = (name: Filter) => (e: { currentTarget: { value: string } }) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, [name]: e.currentTarget.value })) if (v) next.set(k, v);
    const qs = next.toString();
    navigate(`/incidents${qs ? `?${qs}` : ""}`, true);
  };
  const filtered = Object.keys(filters).length > 0;
  return (
    <section>
      <PageTitle>{t("list.title")}</PageTitle>
      <form class="card inline-form filters" aria-label={t("staff.filters")} onSubmit={(e) => e.preventDefault()}>
        <Field label={t("owner.label")} kind="select" value={filters.owner ?? ""} onChange={set("owner")}>
          <option value="">{t("owner.anyone")}</option>
          {isEngineer(session.value) && <option value="me">{t("owner.me")}</option>}
          <option value="none">{t("owner.none")}</option>
          {(engineers.data ?? [])
            .filter((x) => x.account_id !== me)
            .map((x) => (
              <option key={x.account_id} value={x.account_id}>
                {x.display_name}
              </option>
            ))}
          {/* An engineer named in the address but not (yet) in the list keeps its choice visible. */}
          {filters.owner && !["me", "none"].includes(filters.owner) && !engineers.data?.some((x) => x.account_id === filters.owner) && (
            <option value={filters.owner}>{filters.owner === me ? t("owner.me") : t("ev.otherEngineer")}</option>
          )}
        </Field>
        <Field label={t("list.colStatus")} kind="select" value={filters.status ?? ""} onChange={set("status")}>
          <option value="">{t("staff.all")}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {tv("status", s)}
            </option>
          ))}
        </Field>
        <Field label={t("sev.label")} kind="select" value={filters.severity ?? ""} onChange={set("severity")}>
          <option value="">{t("staff.all")}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {tv("sev", s)}
            </option>
          ))}
        </Field>
        <Field label={t("list.colSla")} kind="select" value={filters.sla ?? ""} onChange={set("sla")}>
          <option value="">{t("staff.all")}</option>
          {SLA_OUTCOMES.map((s) => (
            <option key={s} value={s}>
              {tv("sla", s)}
            </option>
          ))}
        </Field>
        {filtered && (
          <button type="button" onClick={() => navigate("/incidents", true)}>
            {t("staff.clear")}
          </button>
        )}
      </form>
      <FindByNumber />
      <ErrorAlert error={engineers.error} onRetry={engineers.reload} />
      <PagedIncidents list={list} caption={t("list.title")} empty={filtered ? t("staff.emptyFiltered") : t("list.empty")} owner />
    </section>
  );
}
