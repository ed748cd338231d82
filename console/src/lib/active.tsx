// The active state of a SCIM resource the directory screens list (a user, an outside-issuer
// trust): its badge, and the button that flips it with a PATCH replacing `active` (RFC 7644
// section 3.5.2.3), which the server answers with the changed resource.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Badge, Button, ErrorNotice } from '../ui';
import { replaceOp } from './scim';

export function ActiveBadge({ active }: { active: boolean }) {
  return <Badge tone={active ? 'ok' : 'muted'}>{active ? 'active' : 'inactive'}</Badge>;
}

export interface ActiveToggleProps<T> {
  // The resource's state now.
  active: boolean;
  // The resource's URL.
  path: string;
  // Completes the button's accessible name, e.g. "alice" for "Deactivate alice".
  label: string;
  // The confirmation once changed, e.g. (done) => `alice ${done}.`.
  message: (done: 'activated' | 'deactivated') => string;
  // Runs with that confirmation and the resource as the server answered it.
  onChanged: (message: string, saved: T) => void;
}

// Activates an inactive resource, deactivates an active one; a refusal is shown next to it.
export function ActiveToggle<T>(props: ActiveToggleProps<T>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setError(null);
    setBusy(true);
    try {
      const saved = await api<T>('PATCH', props.path, replaceOp('active', !props.active));
      props.onChanged(props.message(props.active ? 'deactivated' : 'activated'), saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        busy={busy}
        aria-label={`${props.active ? 'Deactivate' : 'Activate'} ${props.label}`}
        onClick={toggle}
      >
        {props.active ? 'Deactivate' : 'Activate'}
      </Button>
      <ErrorNotice error={error} />
    </>
  );
}
