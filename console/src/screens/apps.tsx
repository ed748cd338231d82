// The Applications screen (/console/apps): the apps of the domain, one app's detail
// (/console/apps?id=<id>), and the forms that create confidential and resource apps
// (/console/apps?new=client, ?new=resource). The URL holds which one, so each is a deep link.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { apiList } from '../api';
import {
  Badge,
  Button,
  DataTable,
  ErrorNotice,
  Link,
  Loading,
  Page,
  navigate,
  useAsync,
  useLocation,
  type Column,
} from '../ui';
import { AppDetail } from './apps-detail';
import { SecretPanel } from './apps-dialogs';
import { ClientForm, ResourceForm } from './apps-forms';
import {
  APPS_PATH,
  CLIENT_CERTIFICATES_PATH,
  appLink,
  availableScopes,
  grantLabel,
  isResource,
  kindLabel,
  newAppLink,
  type App,
  type ClientCertificate,
  type CreatedApp,
  type OneTimeSecret,
} from './apps-model';
import './apps.css';

function none() {
  return <span class="apps-note">none</span>;
}

function columns(selectedId: string | null): Column<App>[] {
  return [
    {
      header: 'Display name',
      render: (a) => (
        <Link href={appLink(a.id)} current={a.id === selectedId}>
          {a.displayName}
        </Link>
      ),
    },
    { header: 'Kind', render: kindLabel },
    {
      header: 'Client ID',
      render: (a) => (isResource(a) ? none() : <code class="apps-code">{a.name}</code>),
    },
    {
      header: 'Status',
      render: (a) =>
        a.active ? <Badge tone="ok">Active</Badge> : <Badge tone="warn">Inactive</Badge>,
    },
    {
      header: 'Grants',
      render: (a) =>
        isResource(a) ? none() : (a.allowedGrants ?? []).map(grantLabel).join(', ') || none(),
    },
    {
      header: 'Certificates',
      class: 'num',
      render: (a) => (isResource(a) ? none() : String((a.certificates ?? []).length)),
    },
  ];
}

export default function AppsScreen() {
  const { search } = useLocation();
  const selectedId = search.get('id') || null;
  const creating = search.get('new');
  const apps = useAsync(
    () =>
      Promise.all([
        apiList<App>(`${APPS_PATH}?count=1000`),
        apiList<ClientCertificate>(CLIENT_CERTIFICATES_PATH),
      ]),
    [],
  );
  const [list, certs] = apps.data ?? [[], []];
  // The one-time secret: component state only, dropped when its panel is closed, when another
  // app or form is shown, and with the component when the page is left.
  const [secret, setSecret] = useState<(OneTimeSecret & { appId: string }) | null>(null);
  useEffect(() => {
    if (secret !== null && (secret.appId !== selectedId || creating !== null)) setSecret(null);
  }, [selectedId, creating, secret]);

  // Another app or form: the focus moves to it (to the secret panel when one shows), so that
  // keyboard and screen-reader users land on what they opened, not at the top of the list.
  const mainRef = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  // In the render's own task (a layout effect), so no key press lands on the page's body.
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = mainRef.current;
    (main?.querySelector<HTMLElement>('#apps-secret-title') ?? main)?.focus();
  }, [selectedId, creating]);

  const created = (app: CreatedApp) => {
    navigate(appLink(app.id));
    if (app.clientSecret !== undefined && app.name !== undefined) {
      setSecret({
        appId: app.id,
        appName: app.displayName,
        clientId: app.name,
        clientSecret: app.clientSecret,
      });
    }
    apps.reload();
  };
  const cancel = () => navigate(appLink(null));

  return (
    <Page
      title="Applications"
      actions={
        <>
          <Button onClick={() => navigate(newAppLink('client'))}>New confidential app</Button>
          <Button onClick={() => navigate(newAppLink('resource'))}>New resource app</Button>
        </>
      }
    >
      <ErrorNotice error={apps.error} />
      <div class="apps-layout">
        <div class="apps-list">
          <h2>All apps</h2>
          {apps.loading && apps.data === undefined ? (
            <Loading />
          ) : (
            <DataTable
              caption="Apps of the domain"
              hideCaption
              columns={columns(selectedId)}
              rows={list}
              rowKey={(a) => a.id}
              empty="No app yet."
            />
          )}
        </div>
        <div class="apps-main" ref={mainRef} tabIndex={-1}>
          {secret !== null && secret.appId === selectedId && creating === null && (
            <SecretPanel secret={secret} onClose={() => setSecret(null)} />
          )}
          {creating === 'client' ? (
            <ClientForm
              scopes={availableScopes(list)}
              certificates={certs}
              onCreated={created}
              onCancel={cancel}
            />
          ) : creating === 'resource' ? (
            <ResourceForm onCreated={created} onCancel={cancel} />
          ) : selectedId !== null ? (
            <AppDetail
              key={selectedId}
              id={selectedId}
              certificates={certs}
              scopes={availableScopes(list)}
              onChanged={apps.reload}
              onDeleted={() => {
                navigate(appLink(null));
                apps.reload();
              }}
              onSecret={(s) => setSecret({ ...s, appId: selectedId })}
            />
          ) : (
            <p class="apps-note">Choose an app to see and change it, or create one.</p>
          )}
        </div>
      </div>
    </Page>
  );
}
