import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ErrorAlert, Notice, useAction, useConfirm, type Ask } from "../../ui";

/**
 * A small form of the incident page: one action, its error (which takes the focus) and, when the
 * action adds no timeline entry to move to, its confirmation. `ask`: what the confirmation dialog
 * says before the action runs (irreversible or paid actions).
 */
export function ActionForm(props: {
  id?: string;
  title?: string;
  intro?: string;
  children: ComponentChildren;
  submit: string;
  onSubmit: () => Promise<unknown>;
  reset?: () => void;
  danger?: boolean;
  done?: string;
  ask?: () => Omit<Ask, "run">;
}) {
  const action = useAction();
  const { confirm, dialog } = useConfirm();
  const run = () => void action.run(props.onSubmit, props.done).then((ok) => ok && props.reset?.());
  return (
    <form
      class="action-form"
      id={props.id}
      onSubmit={(e) => {
        e.preventDefault();
        if (props.ask) confirm({ ...props.ask(), run });
        else run();
      }}
    >
      {props.title && <h3>{props.title}</h3>}
      {props.intro && <p class="muted">{props.intro}</p>}
      {props.children}
      <button type="submit" class={props.danger ? "danger" : "primary"} disabled={action.busy}>
        {props.submit}
      </button>
      <ErrorAlert error={action.error} focus />
      {action.done && <Notice focus>{action.done}</Notice>}
      {dialog}
    </form>
  );
}

/** A secondary action, out of the way until opened. */
export function More(props: { summary: string; children: ComponentChildren; open?: boolean }) {
  return (
    <details class="more" open={props.open}>
      <summary>{props.summary}</summary>
      {props.children}
    </details>
  );
}

export function useText(): [string, (e: { currentTarget: { value: string } }) => void, () => void] {
  const [v, setV] = useState("");
  return [v, (e) => setV(e.currentTarget.value), () => setV("")];
}
