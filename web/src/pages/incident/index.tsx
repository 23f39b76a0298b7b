// The incident page: what the incident is and where it stands, then what the viewer can do now
// (the next expected step first), the timeline and the files.
import { useRef } from "preact/hooks";
import { api, type Engineer, type Incident } from "../../api";
import { isAdmin, isEngineer, session } from "../../auth";
import { getCalendars, getProducts } from "../../catalog";
import { Deadline } from "../../components/deadline";
import { fmtDuration, fmtInstant, t, tv } from "../../i18n";
import { namesOf, OwnershipCard } from "../../ownership";
import { ErrorAlert, Link, Loading, Notice, PageTitle, Status, useLoad } from "../../ui";
import { Attachments } from "./attachments";
import { CustomerActions } from "./customer";
import { ChargeDecision, EngineerActions, NoteBox } from "./engineer";
import { isOpen, numberOf } from "../../incident-state";
import { Timeline } from "./timeline";

/** The parent of a sub-problem's incident, by number and title. */
function ParentLink(props: { id: string }) {
  const parent = useLoad(() => api.incident(props.id), [props.id]);
  const p = parent.data;
  const label = p ? [numberOf(p), p.title].filter(Boolean).join(" · ") : t("inc.parentLink");
  return <Link href={`/incidents/${encodeURIComponent(props.id)}`}>{label}</Link>;
}

function Heading(props: { incident: Incident }) {
  const n = numberOf(props.incident);
  return <PageTitle>{n ? `${n} · ${props.incident.title}` : props.incident.title}</PageTitle>;
}

/** An incident's address may carry its short number (typed from an e-mail or the phone) or its id. */
const NUMBER = /^[0-9A-Z]{3,4}-[0-9A-Z]{4,5}$/i;

export function IncidentPage(props: { id: string }) {
  const incident = useLoad(
    () => (NUMBER.test(props.id) ? api.incidentByNumber(props.id.toUpperCase()) : api.incident(props.id)),
    [props.id],
  );
  const calendars = useLoad(getCalendars, []);
  const products = useLoad(getProducts, []);
  const s = session.value;
  const staff = isEngineer(s) || isAdmin(s);
  const engineers = useLoad<Engineer[] | null>(() => (staff ? api.engineers() : Promise.resolve(null)), [staff]);
  // Set by an action that adds a timeline entry: the new entry takes the focus.
  const focusNew = useRef(false);
  const inc = incident.data;
  if (!inc) {
    return (
      <section>
        <PageTitle>{incident.error ? t("err.not_found") : t("app.loading")}</PageTitle>
        {incident.loading && <Loading />}
        <ErrorAlert error={incident.error} onRetry={incident.reload} />
      </section>
    );
  }
  const owner = s?.sub === inc.account_id;
  const engineer = isEngineer(s);
  const open = isOpen(inc);
  // An action answering the incident replaces it; others reload it (with its new timeline).
  const after = (i?: Incident) => {
    focusNew.current = true;
    if (i && i.incident_id === inc.incident_id && i.timeline) incident.set(i);
    else incident.reload();
  };
  const responded = inc.first_responded_at;
  const product = products.data?.find((p) => p.product_id === inc.product_id);
  const names = staff ? namesOf(inc, engineers.data) : null;
  return (
    <article class="incident">
      <Heading incident={inc} />
      {inc.contact_unreachable && (
        <p role="alert" class="alert" data-testid="contact-unreachable">
          <strong>{t("inc.contactUnreachable")}</strong> {t("inc.contactUnreachableHint")}
        </p>
      )}
      <dl class="facts card summary">
        <dt>{t("inc.status")}</dt>
        <dd>
          <Status prefix="status" value={inc.status} />
        </dd>
        <dt>{t("inc.sla")}</dt>
        <dd>
          <Status prefix="sla" value={inc.sla} />
        </dd>
        {staff ? (
          <>
            <dt>{t("owner.label")}</dt>
            <dd>{inc.owner ? inc.owner.display_name : t("owner.none")}</dd>
          </>
        ) : (
          inc.owner && (
            <>
              <dt>{t("owner.yourEngineer")}</dt>
              <dd>{inc.owner.display_name}</dd>
            </>
          )
        )}
        <dt>{t("inc.firstResponseDue")}</dt>
        <dd>
          <Deadline at={inc.first_response_due_at} calendar={inc.calendar} calendars={calendars.data} />
        </dd>
        <dt>{t("inc.firstResponded")}</dt>
        <dd>
          {responded
            ? t("inc.firstRespondedIn", { at: fmtInstant(responded), duration: fmtDuration(Date.parse(responded) - Date.parse(inc.created_at)) })
            : t("inc.notYet")}
        </dd>
        <dt>{t("sev.label")}</dt>
        <dd>{tv("sev", inc.severity)}</dd>
        <dt>{t("inc.product")}</dt>
        <dd>{product?.name ?? inc.product_id}</dd>
        <dt>{t("inc.category")}</dt>
        <dd>{tv("cat", inc.category)}</dd>
        <dt>{t("inc.calendar")}</dt>
        <dd>{tv("cal", inc.calendar)}</dd>
        <dt>{t("inc.charge")}</dt>
        <dd>{tv("charge", inc.charge)}</dd>
        <dt>{t("inc.contact")}</dt>
        <dd>
          {inc.contact.name} · {inc.contact.email}
          {inc.contact.phone ? ` · ${inc.contact.phone}` : ""}
        </dd>
        {inc.parent_incident_id && (
          <>
            <dt>{t("inc.parent")}</dt>
            <dd>
              <ParentLink id={inc.parent_incident_id} />
            </dd>
          </>
        )}
      </dl>
      {!open && (
        <Notice>
          {t("inc.closed")} {owner && inc.charge === "pending" ? t("inc.closedPendingCustomer") : ""}
        </Notice>
      )}
      {owner && <CustomerActions incident={inc} after={after} />}
      {inc.charge === "pending" && !open && (engineer || isAdmin(s)) && <ChargeDecision incident={inc} after={after} />}
      {engineer && open && <EngineerActions incident={inc} after={after} />}
      {staff && open && <OwnershipCard incident={inc} engineers={engineers.data} after={after} />}
      <section class="card" aria-labelledby="desc-h">
        <h2 id="desc-h">{t("inc.description")}</h2>
        <p class="pre">{inc.description}</p>
        {inc.scope && (inc.scope.status !== "proposed" || !owner || !open) && (
          <>
            <h3>
              {inc.scope.status === "accepted" ? t("inc.scope") : t("inc.scopeProposed")} ({tv("inc.scopeStatus", open ? inc.scope.status : inc.scope.status === "proposed" ? "withdrawn" : inc.scope.status)})
            </h3>
            <dl class="facts">
              <dt>{t("inc.problemStatement")}</dt>
              <dd class="pre">{inc.scope.problem_statement}</dd>
              <dt>{t("inc.resolutionCriteria")}</dt>
              <dd class="pre">{inc.scope.resolution_criteria}</dd>
            </dl>
          </>
        )}
      </section>
      <Timeline key={inc.timeline?.length ?? 0} incident={inc} names={names} focusNew={focusNew} />
      {staff && <NoteBox incident={inc} after={after} />}
      <Attachments incident={inc} canUpload={open && (owner || engineer)} onChange={incident.reload} />
      {incident.error !== null && <ErrorAlert error={incident.error} onRetry={incident.reload} focus />}
    </article>
  );
}
