import { Component, type ComponentChildren } from "preact";
import { t } from "../i18n";

/** A page that fails to render says so in a sentence, with a way on, instead of going blank. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { failed: boolean }> {
  override state = { failed: false };

  static override getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <section class="card" role="alert">
        <h1>{t("app.crashed")}</h1>
        <p>{t("app.crashedHint")}</p>
        <button type="button" class="primary" onClick={() => location.reload()}>
          {t("app.reload")}
        </button>
      </section>
    );
  }
}
