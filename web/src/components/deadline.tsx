import type { Calendar } from "../api";
import { fmtInstant, t } from "../i18n";

/** An instant in the viewer's zone and, when it differs, in the incident calendar's zone. */
export function Deadline(props: { at: string; calendar: string; calendars: Calendar[] | null }) {
  const zone = props.calendars?.find((c) => c.calendar === props.calendar)?.time_zone;
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <>
      <time dateTime={props.at}>{fmtInstant(props.at)}</time>
      {zone && zone !== viewerZone && <span class="muted"> ({t("inc.calendarZone", { time: fmtInstant(props.at, zone), zone })})</span>}
    </>
  );
}
