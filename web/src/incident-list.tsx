// The incidents table of the customer's list, the staff's lists and My incidents, and its paging.
import { useState } from "preact/hooks";
import type { IncidentSummary, Page } from "./api";
import { getCalendars } from "./catalog";
import { t, tv } from "./i18n";
import { Deadline } from "./components/deadline";
import { numberOf } from "./incident-state";
import { navigate } from "./router";
import { ErrorAlert, Field, Link, Loading, Status, TableBox, useAction, useLoad } from "./ui";

/** The owner's name, or the word for nobody. */
export function OwnerName(props: { incident: IncidentSummary }) {
  const o = props.incident.owner;
  return o ? <span>{o.display_name}</span> : <span class="muted">{t("owner.none")}</span>;
}

export function IncidentTable(props: { items: IncidentSummary[]; caption: string; owner?: boolean }) {
  const calendars = useLoad(getCalendars, []);
  // The short number people quote on the phone, once the API gives it.
  const numbers = props.items.some((i) => numberOf(i) !== null);
  return (
    <TableBox label={props.caption}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {numbers && <th scope="col">{t("list.colNumber")}</th>}
            <th scope="col">{t("list.colTitle")}</th>
            <th scope="col">{t("sev.label")}</th>
            <th scope="col">{t("list.colStatus")}</th>
            <th scope="col">{t("list.colSla")}</th>
            {props.owner && <th scope="col">{t("owner.label")}</th>}
            <th scope="col">{t("list.colDue")}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((i) => (
            <tr key={i.incident_id}>
              {numbers && <td class="nowrap">{numberOf(i) ?? "–"}</td>}
              <td>
                <Link href={`/incidents/${encodeURIComponent(i.incident_id)}`}>{i.title}</Link>
              </td>
              <td>{tv("sev", i.severity)}</td>
              <td>
                <Status prefix="status" value={i.status} />
              </td>
              <td>
                <Status prefix="sla" value={i.sla} />
              </td>
              {props.owner && (
                <td>
                  <OwnerName incident={i} />
                </td>
              )}
              <td>
                <Deadline at={i.first_response_due_at} calendar={i.calendar} calendars={calendars.data} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

/** A list read page by page (`next_cursor`): the first page, then more on demand. */
export function usePagedIncidents(load: (cursor: string | null) => Promise<Page<IncidentSummary>>, deps: unknown[]) {
  const first = useLoad(() => load(null), deps);
  const [more, setMore] = useState<{ key: string; items: IncidentSummary[]; cursor: string | null } | null>(null);
  const action = useAction();
  const key = JSON.stringify(deps);
  const extra = more?.key === key ? more : null;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (first.data?.next_cursor ?? null);
  const showMore = () =>
    void action.run(async () => {
      if (!cursor) return;
      const page = await load(cursor);
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], cursor: page.next_cursor });
    });
  return { first, items, cursor, showMore, action };
}

/** Loading, errors, the empty sentence, the table and Show more. */
export function PagedIncidents(props: {
  list: ReturnType<typeof usePagedIncidents>;
  caption: string;
  empty: string;
  owner?: boolean;
}) {
  const { first, items, cursor, showMore, action } = props.list;
  return (
    <>
      {first.loading && !first.data && <Loading />}
      <ErrorAlert error={first.error} onRetry={first.reload} />
      {first.data && items.length === 0 && <p>{props.empty}</p>}
      {items.length > 0 && <IncidentTable items={items} caption={props.caption} owner={props.owner ?? false} />}
      {cursor && (
        <button type="button" disabled={action.busy} onClick={showMore}>
          {t("list.more")}
        </button>
      )}
      <ErrorAlert error={action.error} />
    </>
  );
}

/** Opens an incident by the short number people quote (from an e-mail subject or the phone). */
export function FindByNumber() {
  const [number, setNumber] = useState("");
  return (
    <form
      class="inline-form find"
      onSubmit={(e) => {
        e.preventDefault();
        const n = number.trim().toUpperCase();
        if (n) navigate(`/incidents/${encodeURIComponent(n)}`);
      }}
    >
      <Field label={t("list.findNumber")} value={number} autoComplete="off" spellcheck={false} placeholder="K7M-4QX9" onInput={(e) => setNumber(e.currentTarget.value)} />
      <button type="submit">{t("list.open")}</button>
    </form>
  );
}
