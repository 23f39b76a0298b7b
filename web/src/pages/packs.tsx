import { useEffect, useRef, useState } from "preact/hooks";
import prices from "../../../infra/data/prices.json";
import { api, idempotencyKeys, type Offer, type Pack } from "../api";
import { fmtDate, fmtInstant, fmtMoney, lang, t, tn } from "../i18n";
import { search } from "../router";
import { ErrorAlert, Field, Loading, Notice, PageTitle, Status, useAction, useLoad } from "../ui";

export const COUNTRIES = Object.keys(prices.countries);

function defaultCountry(): string {
  const region = (navigator.language.split("-")[1] ?? "").toUpperCase();
  if (COUNTRIES.includes(region)) return region;
  return lang.value === "pl" || !COUNTRIES.includes("GB") ? "PL" : "GB";
}

function countryName(code: string): string {
  try {
    return new Intl.DisplayNames([lang.value], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function PackCard(props: { pack: Pack }) {
  const p = props.pack;
  return (
    <li class="card pack">
      <h3>{p.offer === "five_pack" ? t("packs.offerFive") : t("packs.offerSingle")}</h3>
      <p>
        <Status prefix="status.pack" value={p.status} />
      </p>
      <p class="big">{t("packs.remaining", { n: p.incidents_remaining, m: p.incidents_total })}</p>
      <p>{p.expires_at ? t("packs.expires", { date: fmtDate(p.expires_at) }) : t("packs.noExpiry")}</p>
      <p>{t("packs.orderNumber", { number: p.order_confirmation_number })}</p>
      <p class="muted">
        {t("packs.price", { amount: fmtMoney(p.price.gross, p.price.currency) })}
        {p.ordered_at ? ` · ${t("packs.ordered", { date: fmtInstant(p.ordered_at) })}` : ""}
      </p>
      {p.status === "awaiting_payment" && p.checkout_url && (
        <p>
          <a href={p.checkout_url}>{t("packs.continuePayment")}</a>
        </p>
      )}
    </li>
  );
}

function Offers(props: { onBought: (p: Pack) => void }) {
  const [country, setCountry] = useState(defaultCountry);
  const offers = useLoad(() => api.offers(country), [country]);
  const action = useAction();
  const keys = useRef(idempotencyKeys());
  const [bought, setBought] = useState<Pack | null>(null);

  const buy = (offer: Offer) =>
    void action.run(async () => {
      const body = { offer, billing_country: country };
      const pack = await api.buy(offer, country, keys.current(body));
      // The next purchase of the same offer is a new order, not a replay of this one.
      keys.current = idempotencyKeys();
      if (pack.status === "awaiting_payment" && pack.checkout_url) {
        setBought(pack);
        location.assign(pack.checkout_url);
        return;
      }
      setBought(pack);
      props.onBought(pack);
    });

  const price = (o: Offer) => offers.data?.find((x) => x.offer === o);
  return (
    <section class="card" aria-labelledby="buy-h">
      <h2 id="buy-h">{t("packs.offers")}</h2>
      <Field label={t("packs.billingCountry")} kind="select" value={country} onChange={(e) => setCountry(e.currentTarget.value)}>
        {COUNTRIES.map((c) => (
          <option key={c} value={c}>
            {countryName(c)} ({c})
          </option>
        ))}
      </Field>
      {offers.loading && !offers.data && <p class="muted">{t("packs.offersLoading")}</p>}
      <ErrorAlert error={offers.error} onRetry={offers.reload} />
      <div class="offers">
        {(["single", "five_pack"] as const).map((o) => {
          const q = price(o);
          return (
            <div class="offer" key={o}>
              <h3>{o === "single" ? t("packs.offerSingle") : t("packs.offerFive")}</h3>
              <p class="muted">{tn("units.count", o === "single" ? 1 : 5)}</p>
              {q && (
                <>
                  <p class="big">{t("packs.gross", { amount: fmtMoney(q.price.gross, q.price.currency) })}</p>
                  <p class="muted">
                    {t("packs.net", { amount: fmtMoney(q.price.net, q.price.currency) })} ·{" "}
                    {q.tax_exempt ? t("packs.taxExempt") : t("packs.tax", { amount: fmtMoney(q.price.tax, q.price.currency) })}
                  </p>
                </>
              )}
              <button type="button" class="primary" disabled={action.busy} onClick={() => buy(o)}>
                {o === "single" ? t("packs.buySingle") : t("packs.buyFive")}
              </button>
            </div>
          );
        })}
      </div>
      <ErrorAlert error={action.error} onRetry={() => action.clear()} />
      {bought &&
        (bought.status === "awaiting_payment" ? (
          <Notice>{t("packs.redirecting")}</Notice>
        ) : (
          <Notice>{t("packs.bought", { number: bought.order_confirmation_number })}</Notice>
        ))}
    </section>
  );
}

function ClaimForm() {
  const [number, setNumber] = useState("");
  const [reason, setReason] = useState("");
  const action = useAction();
  return (
    <section class="card" aria-labelledby="claim-h">
      <h2 id="claim-h">{t("claim.title")}</h2>
      <p class="muted">{t("claim.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(() => api.claim({ order_confirmation_number: number.trim(), reason: reason.trim() }), t("claim.sent"))
            .then((ok) => {
              if (ok) {
                setNumber("");
                setReason("");
              }
            });
        }}
      >
        <Field label={t("claim.number")} value={number} required autoComplete="off" spellcheck={false} onInput={(e) => setNumber(e.currentTarget.value)} />
        <Field label={t("claim.reason")} kind="textarea" rows={3} value={reason} required onInput={(e) => setReason(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={action.busy}>
          {t("claim.submit")}
        </button>
        <ErrorAlert error={action.error} />
        {action.done && <Notice>{action.done}</Notice>}
      </form>
    </section>
  );
}

export function PacksPage() {
  const packs = useLoad(() => api.packs(), []);
  const params = new URLSearchParams(search.value);
  const checkout = params.get("checkout");
  const awaiting = packs.data?.some((p) => p.status === "awaiting_payment") ?? false;
  // Back from the payment page: the webhook activates the pack shortly; look again until it has.
  useEffect(() => {
    if (!awaiting) return;
    const timer = setTimeout(packs.reload, 3000);
    return () => clearTimeout(timer);
  }, [awaiting, packs.data]);
  return (
    <section>
      <PageTitle>{t("packs.title")}</PageTitle>
      {checkout === "success" && <Notice>{t("packs.checkoutBack")}</Notice>}
      {checkout === "cancel" && <Notice>{t("packs.checkoutCancelled")}</Notice>}
      <Offers onBought={(p) => packs.set([p, ...(packs.data ?? []).filter((x) => x.pack_id !== p.pack_id)])} />
      <section aria-labelledby="yours-h">
        <h2 id="yours-h">{t("packs.yours")}</h2>
        {packs.loading && !packs.data && <Loading />}
        <ErrorAlert error={packs.error} onRetry={packs.reload} />
        {packs.data?.length === 0 && <p>{t("packs.empty")}</p>}
        {packs.data && packs.data.length > 0 && (
          <ul class="cards">
            {packs.data.map((p) => (
              <PackCard key={p.pack_id} pack={p} />
            ))}
          </ul>
        )}
      </section>
      <ClaimForm />
    </section>
  );
}
