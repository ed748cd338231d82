// The console's shell: the sign-in gate, the layout (header, navigation, main landmark), and
// the routes of the server's deep links (one screen each).
import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request, type Session, loginUrl } from './api';
import { PasswordDialog } from './password';
import { Button, ErrorNotice, Link, Loading, useLocation } from './ui';
import Apps from './screens/apps';
import Audit from './screens/audit';
import Certificates from './screens/certificates';
import Dashboard from './screens/dashboard';
import Issuers from './screens/issuers';
import Keys from './screens/keys';
import Lab from './screens/lab';
import Login from './screens/login';
import Users from './screens/users';

interface Screen {
  path: string;
  label: string;
  component: ComponentType;
}

// The navigation's order; the paths are the server's deep links (each answers this page).
export const SCREENS: Screen[] = [
  { path: '/console/', label: 'Dashboard', component: Dashboard },
  { path: '/console/apps', label: 'Applications', component: Apps },
  { path: '/console/certificates', label: 'Certificates', component: Certificates },
  { path: '/console/users', label: 'Users', component: Users },
  { path: '/console/keys', label: 'Signing keys', component: Keys },
  { path: '/console/issuers', label: 'Issuers', component: Issuers },
  { path: '/console/audit', label: 'Audit', component: Audit },
  { path: '/console/lab', label: 'Assertion Lab', component: Lab },
];

export const LOGIN_PATH = '/console/login';

function screenFor(path: string): Screen | undefined {
  const p = path === '/console' ? '/console/' : path;
  return SCREENS.find((s) => s.path === p);
}

function NotFound() {
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title">Not found</h1>
      <p>
        There is no console page here. <Link href="/console/">Go to the dashboard</Link>.
      </p>
    </section>
  );
}

async function signOut(): Promise<void> {
  try {
    await request<void>('POST', '/console/logout', undefined, { redirectOn401: false });
  } finally {
    window.location.assign(LOGIN_PATH);
  }
}

function Layout({ session, screen }: { session: Session; screen: Screen | undefined }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const [signOutError, setSignOutError] = useState<unknown>(undefined);
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  const Component = screen?.component ?? NotFound;

  // A new screen: the menu closes and the focus moves to the main region, so that keyboard and
  // screen-reader users start at the new content (not on the first load: the page starts there).
  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [screen?.path]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/console/" class="brand">
          Tessera <span class="brand-sub">console</span>
        </Link>
        <Button
          class="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </Button>
        <div class="account">
          <span class="operator" title="Signed in as">
            <span class="visually-hidden">Signed in as </span>
            {session.userName}
          </span>
          <Button variant="link" onClick={() => setPasswordOpen(true)}>
            Change password
          </Button>
          <Button
            onClick={() => {
              signOut().catch(setSignOutError);
            }}
          >
            Sign out
          </Button>
        </div>
      </header>
      <nav id="primary-nav" class={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Console">
        <ul>
          {SCREENS.map((s) => (
            <li key={s.path}>
              <Link href={s.path} current={screen?.path === s.path}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <ErrorNotice error={signOutError} />
        <Component />
      </main>
      {passwordOpen ? <PasswordDialog onClose={() => setPasswordOpen(false)} /> : null}
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const onLogin = path === LOGIN_PATH || path === `${LOGIN_PATH}/`;

  useEffect(() => {
    if (onLogin || session) return;
    // Without a session every screen goes to the sign-in page (and comes back after it).
    request<Session>('GET', '/console/api/session', undefined, { redirectOn401: false }).then(
      setSession,
      (err: { status?: number }) => {
        if (err.status === 401) window.location.replace(loginUrl());
        else setError(err);
      },
    );
  }, [onLogin, session]);

  if (onLogin) {
    return (
      <main id="main" class="login-main" tabIndex={-1}>
        <Login />
      </main>
    );
  }
  if (error) {
    return (
      <main id="main" class="login-main">
        <h1>Tessera console</h1>
        <ErrorNotice error={error} />
      </main>
    );
  }
  if (!session) {
    return (
      <main id="main" class="login-main">
        <Loading />
      </main>
    );
  }
  return <Layout session={session} screen={screenFor(path)} />;
}
