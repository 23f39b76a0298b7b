import { signal } from "@preact/signals";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { api } from "./api";
import { isAdmin, isEngineer, session, signIn, signInFailed, signInNeeded, signOut, type Session } from "./auth";
import { ErrorBoundary } from "./components/error-boundary";
import { lang, setLang, t } from "./i18n";
import { RatePage } from "./pages/rate";
import { match, navigate, path } from "./router";
import { isStaff, pageFor } from "./routes";
import { Link, PageTitle } from "./ui";

/** Whether a staff account also uses the desk as a customer (it has bought a pack), per account. */
const customerUse = signal<{ sub: string; yes: boolean } | null>(null);

function useCustomerUse(s: Session | null): boolean {
  const known = customerUse.value;
  useEffect(() => {
    if (!s || !isStaff(s) || known?.sub === s.sub) return;
    const sub = s.sub;
    api.packs().then(
      (packs) => (customerUse.value = { sub, yes: packs.length > 0 }),
      () => (customerUse.value = { sub, yes: false }),
    );
  }, [s?.sub]);
  return !isStaff(s) || (known?.sub === s?.sub && !!known?.yes);
}

function Nav() {
  const s = session.value;
  const p = path.value;
  const customer = useCustomerUse(s);
  // Staff see their own links first; the customer's only when they also buy support themselves.
  const links: [string, string][] = [];
  if (isEngineer(s)) links.push(["/queue", t("nav.queue")], ["/my-incidents", t("nav.myIncidents")]);
  if (customer) links.push(["/packs", t("nav.packs")]);
  links.push(["/incidents", t("nav.incidents")]);
  if (customer) links.push(["/incidents/new", t("nav.newIncident")], ["/account", t("nav.account")]);
  if (isAdmin(s)) {
    links.push(["/charges", t("nav.charges")], ["/claims", t("nav.claims")], ["/tax-exemptions", t("nav.taxExemptions")]);
    links.push(["/reports", t("nav.reports")], ["/audit", t("nav.audit")], ["/erasure-requests", t("nav.erasureRequests")]);
  }
  return (
    <nav aria-label={t("app.mainNav")}>
      <ul>
        {links.map(([href, label]) => (
          <li key={href}>
            <Link href={href} current={p === href || (href === "/incidents" && p.startsWith("/incidents/") && p !== "/incidents/new")}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function LangSwitch() {
  return (
    <div class="lang" role="group" aria-label={t("app.language")}>
      <button type="button" lang="en" aria-pressed={lang.value === "en"} onClick={() => setLang("en")}>
        English
      </button>
      <button type="button" lang="pl" aria-pressed={lang.value === "pl"} onClick={() => setLang("pl")}>
        Polski
      </button>
    </div>
  );
}

function SignInPrompt() {
  return (
    <section class="card signin">
      <PageTitle>{t("auth.title")}</PageTitle>
      <p role="alert">{signInFailed.value ? t("auth.failed") : t("auth.needed")}</p>
      <p>{t("auth.oidcHint")}</p>
      <button type="button" class="primary" onClick={() => void signIn()}>
        {t("app.signIn")}
      </button>
    </section>
  );
}

function Page() {
  const p = path.value.replace(/\/+$/, "") || "/";
  const s = session.value;
  if (p === "/" || p === "/auth/callback") return <Redirect to={isEngineer(s) ? "/queue" : "/incidents"} />;
  return (
    pageFor(p, s) ?? (
      <section>
        <PageTitle>{t("app.notFound")}</PageTitle>
      </section>
    )
  );
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, true), [props.to]);
  return null;
}

/**
 * The header: on a wide screen the brand, the navigation and the account on one line; on a phone
 * the brand and a Menu button, which opens the navigation, the language and the account.
 */
function Header(props: { signedIn: boolean }) {
  const s = session.value;
  const [open, setOpen] = useState(false);
  // Each page change closes the menu.
  useEffect(() => setOpen(false), [path.value]);
  return (
    <header class="top">
      <div class="bar">
        <div class="brand">{t("app.name")}</div>
        <button type="button" class="menu-toggle" aria-expanded={open} aria-controls="menu" onClick={() => setOpen(!open)}>
          {t("app.menu")}
        </button>
      </div>
      <div id="menu" class={open ? "menu open" : "menu"}>
        {props.signedIn && <Nav />}
        <div class="who">
          <LangSwitch />
          {s && props.signedIn && (
            <>
              <span class="muted signed-in" title={s.email ?? s.sub}>
                {t("app.signedInAs", { who: s.email ?? s.sub })}
              </span>
              <button type="button" onClick={() => void signOut()}>
                {t("app.signOut")}
              </button>
            </>
          )}
        </div>
      </div>
    </header>
  );
}

export function App() {
  // Before the browser paints: the page's language changes with its words, never a frame later.
  useLayoutEffect(() => {
    document.documentElement.lang = lang.value;
  }, [lang.value]);
  const s = session.value;
  // The rating page works without signing in: the link's token is the authority.
  const rating = match("/rate/:token", path.value);
  const needSignIn = !rating && (signInNeeded.value || !s);
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <Header signedIn={!needSignIn && !rating} />
      <main id="main">
        <ErrorBoundary key={path.value}>
          {rating?.token ? <RatePage key={rating.token} token={rating.token} /> : needSignIn ? <SignInPrompt /> : <Page />}
        </ErrorBoundary>
      </main>
    </>
  );
}
