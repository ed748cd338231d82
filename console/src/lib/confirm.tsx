// A button whose action runs only after a second, explicit confirmation, shown in place (no
// window.confirm: the question, its explanation and the server's refusal stay on the page, can
// be read by a screen reader and are reachable by keyboard).
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Button, ErrorNotice } from '../ui';

export interface ConfirmButtonProps {
  // The button's text, e.g. "Delete".
  label: string;
  // Its accessible name when the text alone is ambiguous in a table, e.g. "Delete alice".
  ariaLabel?: string;
  // The question, e.g. "Delete the certificate assert?".
  question: string;
  // What happens, shown under the question.
  children?: ComponentChildren;
  // The confirming button's text, e.g. "Delete certificate".
  confirmLabel: string;
  // Runs once confirmed; a rejection is shown next to the question and the question stays.
  onConfirm: () => Promise<unknown>;
  danger?: boolean;
  disabled?: boolean;
}

export function ConfirmButton(props: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  // Focus moves to the confirming button so that Enter confirms and Tab reaches Cancel. A layout
  // effect runs in the same task as the render that replaced the first button, so no key press
  // can land while the focus is on the page's body.
  useLayoutEffect(() => {
    if (open) confirmRef.current?.focus();
  }, [open]);

  if (!open) {
    return (
      <Button
        variant={props.danger ? 'danger' : 'secondary'}
        aria-label={props.ariaLabel}
        disabled={props.disabled}
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        {props.label}
      </Button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      setOpen(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="confirm" role="group" aria-label={props.question}>
      <p class="confirm-question">{props.question}</p>
      {props.children}
      <ErrorNotice error={error} />
      <div class="form-actions">
        <button
          type="button"
          ref={confirmRef}
          class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`}
          disabled={busy}
          aria-busy={busy ? true : undefined}
          onClick={confirm}
        >
          {props.confirmLabel}
        </button>
        <Button disabled={busy} onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
