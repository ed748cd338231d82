// Signing keys: the keys that sign this domain's tokens (/admin/v1/SigningKeys): their states,
// rotation, revocation of a key no longer active, and the JWKS the server publishes.
import { useState } from 'preact/hooks';
import { api, apiList } from '../api';
import { ConfirmButton } from '../lib/confirm';
import {
  Badge,
  DataTable,
  ErrorNotice,
  Notice,
  Page,
  formatTime,
  useAsync,
  type Column,
  type Tone,
} from '../ui';
import '../lib/directory.css';
import './keys.css';

// One key as the admin API lists it; times are seconds since 1970.
interface SigningKey {
  kid: string;
  alg: string;
  state: 'active' | 'retired' | 'revoked' | 'expired' | string;
  createdAt: number;
  retiredAt?: number;
  publishUntil?: number;
  revokedAt?: number;
}

// The JWKS endpoint named by discovery's jwks_uri.
const JWKS = '/admin/v1/SigningCert/jwk';

const STATE_TONE: Record<string, Tone> = { active: 'ok', retired: 'warn', expired: 'muted', revoked: 'bad' };
const STATE_TEXT: Record<string, string> = {
  active: 'active (signs new tokens)',
  retired: 'published (verifies tokens it signed)',
  expired: 'expired (no longer published)',
  revoked: 'revoked',
};

function when(seconds: number | undefined): string {
  return seconds === undefined || seconds === 0 ? '—' : formatTime(seconds);
}

function RevokeButton(props: { k: SigningKey; onChanged: (message: string) => void }) {
  const k = props.k;
  // The active key is replaced by rotating; a revoked one is gone already.
  if (k.state === 'active' || k.state === 'revoked') return null;
  return (
    <ConfirmButton
      label="Revoke"
      ariaLabel={`Revoke key ${k.kid}`}
      question={`Revoke the key ${k.kid}?`}
      confirmLabel="Revoke key"
      danger
      onConfirm={async () => {
        await api('POST', `/admin/v1/SigningKeys/${encodeURIComponent(k.kid)}/revoke`);
        props.onChanged(`Key ${k.kid} revoked.`);
      }}
    >
      <p>
        It leaves the JWKS at once: tokens it signed stop verifying everywhere, even those not yet expired.
        Revoke a key only when it may have leaked.
      </p>
    </ConfirmButton>
  );
}

export default function Keys() {
  const keys = useAsync(() => apiList<SigningKey>('/admin/v1/SigningKeys'), []);
  const jwks = useAsync(() => api<unknown>('GET', JWKS), []);
  const [notice, setNotice] = useState('');
  const changed = (message: string) => {
    setNotice(message);
    keys.reload();
    jwks.reload();
  };
  const list = keys.data ?? [];
  const active = list.find((k) => k.state === 'active');
  const columns: Column<SigningKey>[] = [
    { header: 'Key id (kid)', render: (k) => <code class="kid">{k.kid}</code> },
    {
      header: 'State',
      render: (k) => <Badge tone={STATE_TONE[k.state] ?? 'muted'}>{STATE_TEXT[k.state] ?? k.state}</Badge>,
    },
    { header: 'Algorithm', render: (k) => k.alg },
    { header: 'Created', render: (k) => when(k.createdAt) },
    { header: 'Retired', render: (k) => when(k.retiredAt) },
    {
      header: 'Published until',
      render: (k) => (k.state === 'revoked' ? `revoked ${when(k.revokedAt)}` : when(k.publishUntil)),
    },
    { header: 'Actions', class: 'actions', render: (k) => <RevokeButton k={k} onChanged={changed} /> },
  ];
  return (
    <Page title="Signing keys">
      <p class="lead">
        The active key signs every token this domain issues. Resource servers verify tokens with the keys
        published in the JWKS.
      </p>
      <section aria-labelledby="keys-rotate-heading">
        <h2 id="keys-rotate-heading">Rotate</h2>
        <p>Active key: {active === undefined ? 'none' : <code class="kid">{active.kid}</code>}</p>
        <ConfirmButton
          label="Rotate signing key"
          question="Make a new signing key?"
          confirmLabel="Rotate now"
          onConfirm={async () => {
            const r = await api<{ kid: string }>('POST', '/admin/v1/SigningKeys/rotate');
            changed(`New active key ${r.kid}.`);
          }}
        >
          <p>
            New tokens are signed with the new key from now on. The current key stays published in the JWKS
            until the tokens it signed have expired, so they keep verifying.
          </p>
        </ConfirmButton>
        <Notice>{notice === '' ? null : notice}</Notice>
      </section>
      <section aria-labelledby="keys-list-heading">
        <h2 id="keys-list-heading">Keys</h2>
        <ErrorNotice error={keys.error} />
        <DataTable
          caption={
            keys.loading && keys.data === undefined
              ? 'Loading keys…'
              : `${list.length} ${list.length === 1 ? 'key' : 'keys'}`
          }
          columns={columns}
          rows={list}
          rowKey={(k) => k.kid}
        />
      </section>
      <section aria-labelledby="keys-jwks-heading">
        <h2 id="keys-jwks-heading">JWKS</h2>
        <p>
          What <a href={JWKS}>{JWKS}</a> publishes now (the jwks_uri of discovery).
        </p>
        <ErrorNotice error={jwks.error} />
        {/* A focusable region, so that a keyboard can scroll a long key set. */}
        <div class="jwks" role="region" aria-label="JWKS preview" tabIndex={0}>
          <pre>{jwks.data === undefined ? '' : JSON.stringify(jwks.data, null, 2)}</pre>
        </div>
      </section>
    </Page>
  );
}
