import { useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { fmtInstant, t } from "../i18n";
import { search } from "../router";
import { ErrorAlert, Field, Notice, PageTitle, useAction } from "../ui";

type Score = "good" | "bad";
const MAX_COMMENT = 2000;

function scoreIn(query: string): Score | null {
  const s = new URLSearchParams(query).get("score");
  return s === "good" || s === "bad" ? s : null;
}

/**
 * `/rate/<token>?score=good|bad`, reached from the closing e-mail without signing in: the token
 * in the link is the authority. The score from the link is preselected; sending again replaces
 * the earlier rating.
 */
export function RatePage(props: { token: string }) {
  const [score, setScore] = useState<Score | null>(() => scoreIn(search.value));
  const [comment, setComment] = useState("");
  const [sent, setSent] = useState<{ score: Score; at: string } | null>(null);
  const action = useAction();
  const invalidLink = action.error instanceof ApiError && action.error.status === 404;
  const submit = async () => {
    if (!score) return;
    await action.run(async () => {
      const r = await api.rate(props.token, { score, comment: comment.trim() === "" ? null : comment });
      setSent({ score: r.score, at: r.at });
    });
  };
  return (
    <section class="card rate">
      <PageTitle>{t("rate.title")}</PageTitle>
      <p>{t("rate.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset>
          <legend>{t("rate.question")}</legend>
          <div class="actions" role="group">
            {(["good", "bad"] as const).map((s) => (
              <button
                key={s}
                type="button"
                aria-pressed={score === s}
                class={score === s ? "primary" : ""}
                onClick={() => {
                  setScore(s);
                  setSent(null);
                  action.clear();
                }}
              >
                {t(s === "good" ? "rate.good" : "rate.bad")}
              </button>
            ))}
          </div>
        </fieldset>
        <Field
          label={t("rate.comment")}
          hint={t("rate.commentHint", { max: MAX_COMMENT })}
          kind="textarea"
          value={comment}
          maxLength={MAX_COMMENT}
          rows={4}
          onInput={(e) => {
            setComment(e.currentTarget.value);
            setSent(null);
          }}
        />
        {!score && <p class="muted">{t("rate.pick")}</p>}
        <button type="submit" class="primary" disabled={!score || action.busy}>
          {t("rate.send")}
        </button>
      </form>
      {sent && (
        <Notice>
          {t(sent.score === "good" ? "rate.thanksGood" : "rate.thanksBad", { at: fmtInstant(sent.at) })}
        </Notice>
      )}
      {invalidLink ? (
        <div role="alert" class="alert">
          <p>{t("rate.invalidLink")}</p>
        </div>
      ) : (
        <ErrorAlert error={action.error} onRetry={() => void submit()} />
      )}
    </section>
  );
}
