// The detail panel of one app: its settings, activation, certificates, client secret,
// sender-constrained tokens and deletion (docs/http-api.md section 6,
// docs/sender-constrained.md).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Badge, Button, Checkbox, ErrorNotice, Field, Loading, Notice } from '../ui';
import { ConfirmDialog } from './apps-dialogs';
import { ClientForm, ResourceForm } from './apps-forms';
import {
  appPath,
  grantLabel,
  isResource,
  kindLabel,
  replacePatch,
  type App,
  type ClientCertificate,
  type OneTimeSecret,
  type RegeneratedSecret,
} from './apps-model';

function List({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <span class="apps-note">{empty}</span>;
  return (
    <ul class="apps-values">
      {items.map((v) => (
        <li key={v}>
          <code class="apps-code">{v}</code>
        </li>
      ))}
    </ul>
  );
}

/** Attached certificates, with detach buttons and a chooser to attach another (PATCH). */
function Certificates(props: { app: App; all: ClientCertificate[]; onSaved: (a: App) => void }) {
  const attached = (props.app.certificates ?? []).map((c) => c.certAlias);
  const free = props.all.map((c) => c.certificateAlias).filter((a) => !attached.includes(a));
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const save = async (aliases: string[]) => {
    setBusy(true);
    setError(null);
    try {
      const patch = replacePatch({
        certificates: aliases.map((certAlias) => ({ certAlias })),
      });
      props.onSaved(await api<App>('PATCH', appPath(props.app.id), patch));
      setChoice('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const selected = choice !== '' && free.includes(choice) ? choice : (free[0] ?? '');

  return (
    <section class="apps-section" aria-labelledby="apps-certs-title">
      <h3 id="apps-certs-title">Certificates</h3>
      <p class="apps-note">
        Client certificates verify this app's client assertions (private_key_jwt) and its user
        assertions, and authenticate it with self_signed_tls_client_auth.
      </p>
      {attached.length === 0 ? (
        <p class="apps-note">No certificate is attached.</p>
      ) : (
        <ul class="apps-values">
          {attached.map((alias) => (
            <li key={alias} class="apps-cert">
              <code class="apps-code">{alias}</code>
              <Button
                disabled={busy}
                aria-label={`Detach certificate ${alias}`}
                onClick={() => void save(attached.filter((a) => a !== alias))}
              >
                Detach
              </Button>
            </li>
          ))}
        </ul>
      )}
      {free.length > 0 ? (
        <form
          class="apps-inline"
          onSubmit={(e) => {
            e.preventDefault();
            void save([...attached, selected]);
          }}
        >
          <Field
            label="Certificate to attach"
            options={free.map((a) => ({ value: a, label: a }))}
            value={selected}
            onInput={setChoice}
          />
          <Button type="submit" busy={busy}>
            Attach
          </Button>
        </form>
      ) : (
        <p class="apps-note">
          Every uploaded client certificate is attached; the Certificates screen uploads more.
        </p>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

/** dpopBoundAccessTokens, tlsClientCertificateBoundAccessTokens and the tls_client_auth fields. */
function SenderConstraint(props: { app: App; onSaved: (a: App) => void }) {
  const a = props.app;
  const [dpop, setDpop] = useState(a.dpopBoundAccessTokens === true);
  const [mtls, setMtls] = useState(a.tlsClientCertificateBoundAccessTokens === true);
  const [dn, setDn] = useState(a.tlsClientAuthSubjectDn ?? '');
  const [san, setSan] = useState(a.tlsClientAuthSanDns ?? '');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  // "Saved." speaks of the form as it is: any change takes it away until the next save.
  const changed =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setSaved('');
      set(v);
    };
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved('');
    try {
      // An empty DN or DNS name clears it (the admin API's rule for these two attributes).
      const patch = replacePatch({
        dpopBoundAccessTokens: dpop,
        tlsClientCertificateBoundAccessTokens: mtls,
        tlsClientAuthSubjectDn: dn,
        tlsClientAuthSanDns: san,
      });
      props.onSaved(await api<App>('PATCH', appPath(a.id), patch));
      setSaved('Saved.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="apps-section" onSubmit={submit} aria-labelledby="apps-sc-title">
      <h3 id="apps-sc-title">Sender-constrained tokens</h3>
      <Checkbox label="DPoP-bound access tokens" checked={dpop} onChange={changed(setDpop)} />
      <p class="apps-note apps-explain">
        Every token request must carry a DPoP proof (RFC 9449) signed with the client's own key;
        requests without one are refused, and tokens work only with a fresh proof by that key.
      </p>
      <Checkbox
        label="Certificate-bound access tokens (mutual TLS)"
        checked={mtls}
        onChange={changed(setMtls)}
      />
      <p class="apps-note apps-explain">
        Every token request must present a client certificate on the TLS connection (RFC 8705);
        tokens work only over a connection presenting that same certificate.
      </p>
      <Field
        label="tls_client_auth subject DN"
        mono
        spellcheck={false}
        placeholder="CN=job.example.com,O=Example Corp,C=US"
        hint="The client may authenticate with a certificate chaining to the server's client CA whose subject is this DN (RFC 4514, most specific first). Empty: not used."
        value={dn}
        onInput={changed(setDn)}
      />
      <Field
        label="tls_client_auth SAN DNS name"
        mono
        spellcheck={false}
        placeholder="job.example.com"
        hint="The client may authenticate with a certificate chaining to the client CA that names this DNS name in its subjectAltName. Empty: not used."
        value={san}
        onInput={changed(setSan)}
      />
      <ErrorNotice error={error} />
      <Notice>{saved === '' ? null : saved}</Notice>
      <div class="form-actions">
        <Button type="submit" busy={busy}>
          Save sender constraints
        </Button>
      </div>
    </form>
  );
}

type Pending = 'regenerate' | 'delete' | null;

/** One app, loaded by id (so that a deep link works whatever the list holds). */
export function AppDetail(props: {
  id: string;
  certificates: ClientCertificate[];
  scopes: { fqs: string; app: string }[];
  onChanged: () => void;
  onDeleted: () => void;
  onSecret: (s: OneTimeSecret) => void;
}) {
  const [app, setApp] = useState<App | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    let live = true;
    setApp(null);
    setLoadError(null);
    setError(null);
    setPending(null);
    setEditing(false);
    api<App>('GET', appPath(props.id)).then(
      (a) => live && setApp(a),
      (err) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [props.id]);

  if (loadError !== null) return <ErrorNotice error={loadError} />;
  if (app === null) return <Loading label="Loading the app…" />;

  const saved = (a: App) => {
    setApp(a);
    props.onChanged();
  };
  const edited = (a: App) => {
    saved(a);
    setEditing(false);
  };
  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setPending(null);
    }
  };
  const setActive = (active: boolean) =>
    act(async () => {
      await api('PUT', `/admin/v1/AppStatusChanger/${encodeURIComponent(app.id)}`, { active });
      saved(await api<App>('GET', appPath(app.id)));
    });
  const regenerate = () =>
    act(async () => {
      const r = await api<RegeneratedSecret>('POST', '/admin/v1/AppClientSecretRegenerator', {
        appId: app.id,
      });
      props.onSecret({
        appName: app.displayName,
        clientId: r.name,
        clientSecret: r.clientSecret,
      });
    });
  const remove = () =>
    act(async () => {
      await api('DELETE', appPath(app.id));
      props.onDeleted();
    });

  const resource = isResource(app);
  return (
    <article class="apps-detail" aria-labelledby="apps-detail-title">
      <h2 id="apps-detail-title">{app.displayName}</h2>
      <p class="apps-badges">
        {app.active ? <Badge tone="ok">Active</Badge> : <Badge tone="warn">Inactive</Badge>}
        {app.isAdmin === true && <Badge tone="muted">Administrator</Badge>}
      </p>
      {editing ? (
        resource ? (
          <ResourceForm editing={app} onCreated={edited} onCancel={() => setEditing(false)} />
        ) : (
          <ClientForm
            editing={app}
            scopes={props.scopes}
            certificates={props.certificates}
            onCreated={edited}
            onCancel={() => setEditing(false)}
          />
        )
      ) : (
        <>
          <dl class="apps-fields">
            <dt>Kind</dt>
            <dd>{kindLabel(app)}</dd>
            {app.description !== undefined && app.description !== '' && (
              <>
                <dt>Description</dt>
                <dd>{app.description}</dd>
              </>
            )}
            {resource ? (
              <>
                <dt>Audience</dt>
                <dd>
                  <code class="apps-code">{app.audience}</code>
                </dd>
                <dt>Scopes (fully qualified)</dt>
                <dd>
                  <List items={(app.scopes ?? []).map((s) => s.fqs)} empty="None" />
                </dd>
              </>
            ) : (
              <>
                <dt>Client ID</dt>
                <dd>
                  <code class="apps-code">{app.name}</code>
                </dd>
                <dt>Allowed grants</dt>
                <dd>
                  <List items={(app.allowedGrants ?? []).map(grantLabel)} empty="None" />
                </dd>
                <dt>Allowed scopes</dt>
                <dd>
                  <List items={(app.allowedScopes ?? []).map((s) => s.fqs)} empty="None" />
                </dd>
                <dt>Allowed operations</dt>
                <dd>
                  <List items={app.allowedOperations ?? []} empty="None" />
                </dd>
              </>
            )}
            <dt>Access token expiry</dt>
            <dd>
              {app.accessTokenExpiry !== undefined ? `${app.accessTokenExpiry} s` : 'Default'}
            </dd>
          </dl>
          <div class="form-actions">
            <Button variant="primary" busy={busy} onClick={() => void setActive(!app.active)}>
              {app.active ? 'Deactivate' : 'Activate'}
            </Button>
            {!resource && (
              <Button disabled={busy} onClick={() => setPending('regenerate')}>
                Regenerate client secret…
              </Button>
            )}
            <Button disabled={busy} onClick={() => setEditing(true)}>
              Edit settings
            </Button>
            <Button variant="danger" disabled={busy} onClick={() => setPending('delete')}>
              Delete app…
            </Button>
          </div>
        </>
      )}
      <ErrorNotice error={error} />
      {pending === 'regenerate' && (
        <ConfirmDialog
          title={`Regenerate the client secret of ${app.displayName}?`}
          confirmLabel="Regenerate secret"
          busy={busy}
          onConfirm={() => void regenerate()}
          onCancel={() => setPending(null)}
        >
          <p>The current secret stops working at once; the new one is shown once.</p>
        </ConfirmDialog>
      )}
      {pending === 'delete' && (
        <ConfirmDialog
          title={`Delete the app ${app.displayName}?`}
          confirmLabel={`Delete ${app.displayName}`}
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setPending(null)}
        >
          <p>
            {resource
              ? 'Its scopes can no longer be granted.'
              : 'Its client id stops working at once and its tokens are no longer active.'}{' '}
            This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      {!resource && <Certificates app={app} all={props.certificates} onSaved={saved} />}
      {!resource && <SenderConstraint key={app.id} app={app} onSaved={saved} />}
    </article>
  );
}
