// Certificates: the client certificates apps attach by alias (/admin/v1/OAuthClientCertificates)
// and the trusted partner certificates (/admin/v1/OAuthPartnerCertificates): upload (PEM text,
// or a PEM or DER file), thumbprints, validity, the apps using each, deletion.
import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ConfirmButton } from '../lib/confirm';
import { certificateFromFile } from '../lib/pem';
import { listAll } from '../lib/scim';
import { Badge, Button, ErrorNotice, Field, Link, Notice, Page, formatTime, useAsync } from '../ui';
import { certificateValidity } from './certificates-validity';
import '../lib/directory.css';
import './certificates.css';

interface Certificate {
  certificateAlias: string;
  x5t: string;
  'x5t#S256': string;
  notBefore: string;
  notAfter: string;
  // RFC 4514 text, as `openssl x509 -noout -subject -nameopt RFC2253` prints it.
  subject: string;
  lastUsed?: string;
}

interface App {
  id: string;
  displayName: string;
  name?: string;
  certificates?: { certAlias: string }[];
}

type Kind = 'client' | 'partner';

const KINDS: { kind: Kind; title: string; path: string }[] = [
  { kind: 'client', title: 'Client certificates', path: '/admin/v1/OAuthClientCertificates' },
  { kind: 'partner', title: 'Partner certificates', path: '/admin/v1/OAuthPartnerCertificates' },
];

function Thumbprint(props: { name: string; value: string; alias: string }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('Copied');
    } catch {
      setCopied('Copy refused by the browser: select the text instead');
    }
  };
  return (
    <div class="cert-field">
      <dt>{props.name}</dt>
      <dd>
        <code class="thumbprint" data-thumbprint={props.name}>
          {props.value}
        </code>{' '}
        <Button class="btn-small" aria-label={`Copy ${props.name} of ${props.alias}`} onClick={copy}>
          Copy
        </Button>
        <span class="copy-status" role="status">
          {copied}
        </span>
      </dd>
    </div>
  );
}

function CertificateCard(props: {
  cert: Certificate;
  kind: Kind;
  path: string;
  apps?: App[];
  onDeleted: () => void;
}) {
  const c = props.cert;
  const v = certificateValidity(c.notBefore, c.notAfter, Date.now());
  const users =
    props.apps?.filter((a) => a.certificates?.some((x) => x.certAlias === c.certificateAlias)) ?? [];
  return (
    <article class="cert-card" aria-labelledby={`cert-${props.kind}-${c.certificateAlias}`}>
      <h3 id={`cert-${props.kind}-${c.certificateAlias}`}>
        {c.certificateAlias} <Badge tone={v.tone}>{v.text}</Badge>
      </h3>
      <dl>
        <div class="cert-field">
          <dt>Subject</dt>
          <dd class="wrap">{c.subject}</dd>
        </div>
        <Thumbprint name="x5t" value={c.x5t} alias={c.certificateAlias} />
        <Thumbprint name="x5t#S256" value={c['x5t#S256']} alias={c.certificateAlias} />
        <div class="cert-field">
          <dt>Valid</dt>
          <dd>
            from {formatTime(c.notBefore)} until {formatTime(c.notAfter)}
          </dd>
        </div>
        <div class="cert-field">
          <dt>Last verified an assertion</dt>
          <dd>{c.lastUsed === undefined ? 'never' : formatTime(c.lastUsed)}</dd>
        </div>
        {props.kind === 'client' && (
          <div class="cert-field">
            <dt>Used by</dt>
            <dd>
              {props.apps === undefined ? (
                'unknown'
              ) : users.length === 0 ? (
                'no app'
              ) : (
                <ul class="used-by">
                  {users.map((a) => (
                    <li key={a.id}>
                      <Link href={`/console/apps?id=${encodeURIComponent(a.id)}`}>{a.displayName}</Link>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
        )}
      </dl>
      <ConfirmButton
        label="Delete"
        ariaLabel={`Delete ${c.certificateAlias}`}
        question={`Delete the certificate ${c.certificateAlias}?`}
        confirmLabel="Delete certificate"
        danger
        onConfirm={async () => {
          await api('DELETE', `${props.path}/${encodeURIComponent(c.certificateAlias)}`);
          props.onDeleted();
        }}
      >
        <p>
          {props.kind === 'partner'
            ? 'User assertions signed with its key stop verifying, for every app.'
            : users.length === 0
              ? 'Assertions signed with its key stop verifying.'
              : `It is attached to ${users.map((a) => a.displayName).join(', ')}: their assertions signed with its key stop verifying.`}
        </p>
      </ConfirmButton>
    </article>
  );
}

function UploadForm(props: { kind: Kind; path: string; onUploaded: (alias: string) => void }) {
  const [alias, setAlias] = useState('');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const id = (name: string) => `upload-${props.kind}-${name}`;

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const file = fileRef.current?.files?.[0];
      let certificate = pem.trim();
      if (file !== undefined) certificate = await certificateFromFile(file);
      if (certificate === '') throw new Error('Paste a PEM certificate or choose a file.');
      await api('POST', props.path, { certificateAlias: alias.trim(), x509Base64Certificate: certificate });
      const uploaded = alias.trim();
      setAlias('');
      setPem('');
      if (fileRef.current) fileRef.current.value = '';
      props.onUploaded(uploaded);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="cert-upload card" onSubmit={submit} aria-labelledby={id('heading')}>
      <h3 id={id('heading')}>Upload a {props.kind} certificate</h3>
      <Field id={id('alias')} label="Alias" required value={alias} onInput={setAlias} autoComplete="off" />
      <Field
        id={id('pem')}
        label="Certificate (PEM)"
        multiline
        mono
        placeholder="-----BEGIN CERTIFICATE-----"
        value={pem}
        onInput={setPem}
      />
      <div class="field">
        <label for={id('file')}>Or a certificate file (PEM or DER)</label>
        <input id={id('file')} type="file" ref={fileRef} accept=".pem,.crt,.cer,.der" />
      </div>
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Upload certificate
        </Button>
      </div>
    </form>
  );
}

function KindPanel(props: { kind: Kind; title: string; path: string }) {
  const certs = useAsync(() => listAll<Certificate>(props.path), [props.path]);
  // Which apps attach which alias: only client certificates are attached to apps.
  const apps = useAsync(
    () => (props.kind === 'client' ? listAll<App>('/admin/v1/Apps') : Promise.resolve(undefined)),
    [props.kind],
  );
  const [notice, setNotice] = useState('');
  const list = certs.data ?? [];
  return (
    <div>
      <UploadForm
        kind={props.kind}
        path={props.path}
        onUploaded={(alias) => {
          setNotice(`Uploaded ${alias}.`);
          certs.reload();
        }}
      />
      <Notice>{notice === '' ? null : notice}</Notice>
      <ErrorNotice error={certs.error ?? apps.error} />
      <h3 class="count">
        {certs.loading && certs.data === undefined
          ? 'Loading…'
          : `${list.length} ${list.length === 1 ? 'certificate' : 'certificates'}`}
      </h3>
      <div class="cert-list">
        {list.map((c) => (
          <CertificateCard
            key={c.certificateAlias}
            cert={c}
            kind={props.kind}
            path={props.path}
            apps={apps.data}
            onDeleted={() => {
              setNotice(`Deleted ${c.certificateAlias}.`);
              certs.reload();
            }}
          />
        ))}
      </div>
    </div>
  );
}

export default function Certificates() {
  const [kind, setKind] = useState<Kind>('client');
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  // Arrow keys move between the tabs (WAI-ARIA tabs pattern); Tab moves into the panel.
  const onKey = (e: KeyboardEvent, index: number) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const next = (index + (e.key === 'ArrowRight' ? 1 : KINDS.length - 1)) % KINDS.length;
    setKind(KINDS[next].kind);
    tabs.current[next]?.focus();
  };
  const current = KINDS.find((k) => k.kind === kind) ?? KINDS[0];
  return (
    <Page title="Certificates">
      <p class="lead">
        Client certificates verify the assertions of the apps that attach them by alias. Partner certificates
        verify user assertions of any app.
      </p>
      <div role="tablist" aria-label="Certificate kind" class="tabs">
        {KINDS.map((k, i) => (
          <button
            type="button"
            role="tab"
            id={`tab-${k.kind}`}
            key={k.kind}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            aria-selected={k.kind === kind}
            aria-controls={`panel-${k.kind}`}
            tabIndex={k.kind === kind ? 0 : -1}
            onClick={() => setKind(k.kind)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {k.title}
          </button>
        ))}
      </div>
      <section
        role="tabpanel"
        id={`panel-${current.kind}`}
        aria-labelledby={`tab-${current.kind}`}
        class="tabpanel"
      >
        <h2>{current.title}</h2>
        <KindPanel key={current.kind} kind={current.kind} title={current.title} path={current.path} />
      </section>
    </Page>
  );
}
