// The signed-in operator's own password change (POST /console/api/password), in a modal
// dialog opened from the header. The server requires the current password; every other
// session of the operator ends, this one stays.
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from './api';
import { Button, ErrorNotice, Field, Notice } from './ui';

const MIN_LENGTH = 12;

export function PasswordDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (next.length < MIN_LENGTH) {
      setError(`The new password must be at least ${MIN_LENGTH} characters long.`);
      return;
    }
    if (next !== repeat) {
      setError('The two new passwords differ.');
      return;
    }
    setBusy(true);
    try {
      // A 401 here is a wrong current password (shown), not an ended session.
      await request<void>(
        'POST',
        '/console/api/password',
        { currentPassword: current, newPassword: next },
        { redirectOn401: false },
      );
      setDone(true);
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="dialog" aria-labelledby="password-title" onClose={onClose}>
      <form onSubmit={submit}>
        <h2 id="password-title">Change your password</h2>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onInput={setCurrent}
          required
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onInput={setNext}
          hint={`At least ${MIN_LENGTH} characters.`}
          required
        />
        <Field
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onInput={setRepeat}
          required
        />
        <ErrorNotice error={error} />
        <Notice>{done ? 'Your password is changed. Your other sessions have ended.' : null}</Notice>
        <div class="form-actions">
          <Button type="submit" variant="primary" busy={busy}>
            Change password
          </Button>
          <Button onClick={() => ref.current?.close()}>Close</Button>
        </div>
      </form>
    </dialog>
  );
}
