import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, idempotencyKeys, type SlaQuote, type Submission } from "../api";
import { session } from "../auth";
import { CALENDARS, EXCLUDED, HANDLINGS, IN_SCOPE, SEVERITIES, getCalendars, getProducts } from "../catalog";
import { fmtDate, lang, t, tn, tv } from "../i18n";
import { navigate } from "../router";
import { ErrorAlert, Field, Link, Loading, PageTitle, uid, useAction, useLoad } from "../ui";
import { Deadline } from "../components/deadline";
import { packToDraw } from "../packs";

export function NewIncidentPage() {
  const products = useLoad(getProducts, []);
  const calendars = useLoad(getCalendars, []);
  const packs = useLoad(() => api.packs(), []);
  const [f, setF] = useState({
    product_id: "",
    category: "",
    severity: "",
    handling: "business_hours",
    calendar: "PL",
    title: "",
    description: "",
    name: "",
    email: session.value?.email ?? "",
    phone: "",
    language: lang.value,
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) => {
    const v = e.currentTarget.value;
    setF((old) => ({ ...old, [k]: v }));
  };
  const [quote, setQuote] = useState<{ q: SlaQuote | null; error: unknown; loading: boolean }>({ q: null, error: null, loading: false });
  useEffect(() => {
    if (!f.severity || !f.calendar) {
      setQuote({ q: null, error: null, loading: false });
      return;
    }
    let live = true;
    setQuote((s) => ({ ...s, loading: true }));
    api.quote(f.severity, f.calendar).then(
      (q) => live && setQuote({ q, error: null, loading: false }),
      (error: unknown) => live && setQuote({ q: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [f.severity, f.calendar]);

  const keys = useRef(idempotencyKeys());
  const action = useAction();
  const [quoteId] = useState(() => uid("quote"));
  const product = products.data?.find((p) => p.product_id === f.product_id);
  const pack = packs.data ? packToDraw(packs.data) : null;
  const warnings: string[] = [];
  if (EXCLUDED.includes(f.category as never)) warnings.push(t("new.warnExcluded"));
  if (product?.phase === "ended") warnings.push(t("new.warnEnded", { date: fmtDate(product.extended_end ?? product.mainstream_end) }));
  if (f.severity === "A" && (f.handling !== "24x7" || !f.phone.trim())) warnings.push(t("new.warnSeverityA"));
  else if (f.handling === "24x7" && !f.phone.trim()) warnings.push(t("new.warnPhone"));

  const submit = (e: Event) => {
    e.preventDefault();
    const body: Submission = {
      product_id: f.product_id,
      category: f.category as Submission["category"],
      severity: f.severity as Submission["severity"],
      handling: f.handling as Submission["handling"],
      calendar: f.calendar as Submission["calendar"],
      title: f.title.trim(),
      description: f.description.trim(),
      contact: {
        name: f.name.trim(),
        email: f.email.trim(),
        phone: f.phone.trim() || null,
        language: f.language === "en" ? "en" : "pl",
      },
    };
    // The pack shown is the one named: intake then draws without looking the account's packs up
    // (one store round trip). Should it have been used up meanwhile (another tab), intake picks.
    const named: Submission = pack ? { ...body, pack_id: pack.pack_id } : body;
    void action.run(async () => {
      let incident;
      try {
        incident = await api.submit(named, keys.current(named));
      } catch (e) {
        if (!(pack && e instanceof ApiError && e.code === "no_usable_pack")) throw e;
        incident = await api.submit(body, keys.current(body));
      }
      navigate(`/incidents/${encodeURIComponent(incident.incident_id)}`);
    });
  };

  return (
    <section>
      <PageTitle>{t("new.title")}</PageTitle>
      {(products.loading || calendars.loading) && !products.data && <Loading />}
      <ErrorAlert error={products.error ?? calendars.error} onRetry={() => (products.reload(), calendars.reload())} />
      <form class="card form-grid" onSubmit={submit} noValidate={false}>
        <Field label={t("new.product")} kind="select" value={f.product_id} required onChange={set("product_id")}>
          <option value="">{t("new.choose")}</option>
          {products.data?.map((p) => (
            <option key={p.product_id} value={p.product_id}>
              {p.name} ({tv("phase", p.phase)})
            </option>
          ))}
        </Field>
        <Field label={t("new.category")} kind="select" value={f.category} required onChange={set("category")}>
          <option value="">{t("new.choose")}</option>
          {[...IN_SCOPE, ...EXCLUDED].map((c) => (
            <option key={c} value={c}>
              {tv("cat", c)}
            </option>
          ))}
        </Field>
        <Field label={t("sev.label")} kind="select" value={f.severity} required onChange={set("severity")}>
          <option value="">{t("new.choose")}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {tv("sev", s)}
            </option>
          ))}
        </Field>
        <Field label={t("new.handling")} kind="select" value={f.handling} required onChange={set("handling")}>
          {HANDLINGS.map((h) => (
            <option key={h} value={h}>
              {tv("handling", h)}
            </option>
          ))}
        </Field>
        <Field label={t("new.calendar")} kind="select" value={f.calendar} required onChange={set("calendar")}>
          {CALENDARS.map((c) => (
            <option key={c} value={c}>
              {tv("cal", c)}
            </option>
          ))}
        </Field>
        <Field label={t("new.titleField")} value={f.title} required maxLength={200} onInput={set("title")} />
        <Field label={t("new.description")} kind="textarea" rows={6} value={f.description} required maxLength={20000} onInput={set("description")} />
        <Field label={t("new.contactName")} value={f.name} required autoComplete="name" maxLength={200} onInput={set("name")} />
        <Field label={t("new.contactEmail")} type="email" value={f.email} required autoComplete="email" maxLength={254} onInput={set("email")} />
        <Field
          label={t("new.contactPhone")}
          type="tel"
          value={f.phone}
          autoComplete="tel"
          maxLength={40}
          hint={t("new.phoneHint")}
          required={f.handling === "24x7" || f.severity === "A"}
          onInput={set("phone")}
        />
        <Field label={t("new.contactLanguage")} kind="select" value={f.language} onChange={set("language")}>
          <option value="pl">Polski</option>
          <option value="en">English</option>
        </Field>

        <div class="quote" aria-live="polite">
          <label for={quoteId}>{t("new.firstResponseDue")}</label>
          <output id={quoteId}>
            {quote.q ? (
              <>
                <Deadline at={quote.q.first_response_due_at} calendar={quote.q.calendar} calendars={calendars.data} />
                <span class="muted">
                  {" · "}
                  {quote.q.business_minutes === null
                    ? t("new.quoteWall")
                    : t("new.quoteBusiness", { hours: tn("hours.business", quote.q.business_minutes / 60), calendar: tv("cal", quote.q.calendar) })}
                </span>
              </>
            ) : quote.loading ? (
              t("new.quoteLoading")
            ) : (
              t("new.quoteNeeds")
            )}
          </output>
          <ErrorAlert error={quote.error} />
        </div>

        <div class="pack-note">
          <strong>{t("new.pack")}: </strong>
          {packs.data &&
            (pack ? (
              <span>
                {t("new.packWill", {
                  number: pack.order_confirmation_number,
                  n: pack.incidents_remaining,
                  m: pack.incidents_total,
                  date: fmtDate(pack.expires_at),
                })}
              </span>
            ) : (
              <span>
                {t("new.packNone")} <Link href="/packs">{t("nav.packs")}</Link>
              </span>
            ))}
        </div>

        {warnings.length > 0 && (
          <ul class="warnings" aria-live="polite">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        <ErrorAlert error={action.error} />
        <button type="submit" class="primary" disabled={action.busy} aria-busy={action.busy}>
          {t("new.submit")}
        </button>
      </form>
    </section>
  );
}
