// The Applications screen's two panels that need care: the confirmation of a destructive
// action, and the client secret shown once.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Button } from '../ui';
import type { OneTimeSecret } from './apps-model';

/**
 * A modal confirmation. The native <dialog> keeps focus inside while open, closes on Escape
 * (which counts as cancelling) and gives focus back to the control that opened it.
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d !== null && !d.open) d.showModal();
    return () => {
      if (d !== null && d.open) d.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="apps-dialog"
      aria-labelledby="apps-dialog-title"
      onCancel={props.onCancel}
    >
      <h2 id="apps-dialog-title">{props.title}</h2>
      {props.children}
      <div class="form-actions">
        <Button variant="danger" busy={props.busy} onClick={props.onConfirm}>
          {props.confirmLabel}
        </Button>
        <Button disabled={props.busy} onClick={props.onCancel}>
          Cancel
        </Button>
      </div>
    </dialog>
  );
}

/** A labelled value to copy, in a read-only input (selectable, not editable). */
function ReadOnlyField(props: { id: string; label: string; value: string; autocomplete?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        class="mono"
        type="text"
        readOnly
        value={props.value}
        autocomplete={props.autocomplete}
        spellcheck={false}
      />
    </div>
  );
}

/**
 * The client id and secret of a new or regenerated secret. The secret lives only in the
 * caller's component state: closing this panel (or leaving the page) drops it, and it never goes
 * to storage or the URL, since the server keeps only a hash and cannot show it again.
 */
export function SecretPanel({ secret, onClose }: { secret: OneTimeSecret; onClose: () => void }) {
  const [copied, setCopied] = useState<string>('');
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => heading.current?.focus(), [secret]);

  const copy = () => {
    // The Clipboard API needs a secure context (absent otherwise) and the page focused; when it
    // is missing or refuses, the operator can still copy the field, which is selected for them.
    const refused = () => {
      const field = document.getElementById('apps-secret-value') as HTMLInputElement | null;
      field?.select();
      setCopied('The browser refused to copy: the secret is selected, copy it by hand.');
    };
    if (navigator.clipboard === undefined) {
      refused();
      return;
    }
    navigator.clipboard
      .writeText(secret.clientSecret)
      .then(() => setCopied('Copied to the clipboard.'), refused);
  };

  return (
    <section class="apps-secret" aria-labelledby="apps-secret-title">
      <h2 id="apps-secret-title" tabIndex={-1} ref={heading}>
        Client secret of {secret.appName}
      </h2>
      <p class="apps-secret-warning">
        Copy the secret now: it will not be shown again. Tessera keeps only a hash of it; if it is
        lost, regenerate it.
      </p>
      <ReadOnlyField id="apps-secret-client-id" label="Client ID" value={secret.clientId} />
      <ReadOnlyField id="apps-secret-value" label="Client secret" value={secret.clientSecret} autocomplete="off" />
      <div class="form-actions">
        <Button variant="primary" onClick={copy}>
          Copy secret
        </Button>
        <Button onClick={onClose}>Close: I have stored it</Button>
      </div>
      <p role="status" class="apps-note">
        {copied}
      </p>
    </section>
  );
}
