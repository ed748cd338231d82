// /console/login: the operator's sign-in (contract section 9). The form posts JSON to
// POST /console/login; the server sets the HttpOnly session cookie, and the browser goes to the
// page first asked for (?next=, a console path only).
import { useEffect, useRef, useState } from 'preact/hooks';
import { request, safeNext } from '../api';
import { Button, ErrorNotice, Field } from '../ui';

export default function Login() {
  const [userName, setUserName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Tessera console';
    formRef.current?.querySelector('input')?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await request('POST', '/console/login', { username: userName, password }, { redirectOn401: false });
      const next = safeNext(new URLSearchParams(window.location.search).get('next'));
      window.location.assign(next);
    } catch (err) {
      // 401: the one answer for a wrong name or password; 429: throttled (the server's text
      // says to wait).
      setError(err);
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <p class="login-brand" aria-hidden="true">
        Tessera
      </p>
      <h1>Sign in to the Tessera console</h1>
      <form ref={formRef} onSubmit={submit} class="login-form">
        <Field
          label="User name"
          name="username"
          autoComplete="username"
          value={userName}
          onInput={setUserName}
          required
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={setPassword}
          required
        />
        <ErrorNotice error={error} />
        <Button type="submit" variant="primary" busy={busy}>
          Sign in
        </Button>
      </form>
    </div>
  );
}
