// Signing keys: the keys that sign this domain's tokens (/admin/v1/SigningKeys): their states,
// rotation, revocation of a key no longer active, and the JWKS the server publishes.
import {useState} from 'preact/hooks';
import {api} from '../api';
import {ConfirmButton} from '../lib/confirm';
import {useLoad} from '../lib/load';
import {Badge, ErrorNotice, Page, formatTime} from '../ui';
import type {Tone} from './certificates-validity';
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

const STATE_TONE: Record<string, Tone> = {active: 'ok', retired: 'warn', expired: 'muted', revoked: 'bad'};
const STATE_TEXT: Record<string, string> = {
  active: 'active (signs new tokens)',
  retired: 'published (verifies tokens it signed)',
  expired: 'expired (no longer published)',
  revoked: 'revoked',
};

function when(seconds: number | undefined): string {
  return seconds === undefined || seconds === 0 ? '—' : formatTime(seconds);
}

function KeyRow(props: {k: SigningKey; onChanged: (message: string) => void}) {
  const k = props.k;
  return (
    <tr>
      <th scope="row">
        <code class="kid">{k.kid}</code>
      </th>
      <td data-label="State">
        <Badge tone={STATE_TONE[k.state] ?? 'muted'}>{STATE_TEXT[k.state] ?? k.state}</Badge>
      </td>
      <td data-label="Algorithm">{k.alg}</td>
      <td data-label="Created">{when(k.createdAt)}</td>
      <td data-label="Retired">{when(k.retiredAt)}</td>
      <td data-label="Published until">{k.state === 'revoked' ? `revoked ${when(k.revokedAt)}` : when(k.publishUntil)}</td>
      <td class="actions">
        {k.state !== 'active' && k.state !== 'revoked' && (
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
              It leaves the JWKS at once: tokens it signed stop verifying everywhere, even those not yet expired. Revoke
              a key only when it may have leaked.
            </p>
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}

export default function Keys() {
  const keys = useLoad(() => api<{Resources?: SigningKey[]}>('GET', '/admin/v1/SigningKeys').then((l) => l.Resources ?? []), []);
  const jwks = useLoad(() => api<unknown>('GET', JWKS), []);
  const [notice, setNotice] = useState('');
  const changed = (message: string) => {
    setNotice(message);
    void keys.reload();
    void jwks.reload();
  };
  const list = keys.data ?? [];
  const active = list.find((k) => k.state === 'active');
  return (
    <Page title="Signing keys">
      <p class="lead">
        The active key signs every token this domain issues. Resource servers verify tokens with the keys published in
        the JWKS.
      </p>
      <section aria-labelledby="keys-rotate-heading">
        <h2 id="keys-rotate-heading">Rotate</h2>
        <p>Active key: {active === undefined ? 'none' : <code class="kid">{active.kid}</code>}</p>
        <ConfirmButton
          label="Rotate signing key"
          question="Make a new signing key?"
          confirmLabel="Rotate now"
          onConfirm={async () => {
            const r = await api<{kid: string}>('POST', '/admin/v1/SigningKeys/rotate');
            changed(`New active key ${r.kid}.`);
          }}
        >
          <p>
            New tokens are signed with the new key from now on. The current key stays published in the JWKS until the
            tokens it signed have expired, so they keep verifying.
          </p>
        </ConfirmButton>
        <p role="status" class="notice">
          {notice}
        </p>
      </section>
      <section aria-labelledby="keys-list-heading">
        <h2 id="keys-list-heading">Keys</h2>
        <ErrorNotice error={keys.error} />
        <div class="table-scroll">
          <table class="keys-table">
            <caption>{keys.loading && keys.data === undefined ? 'Loading keys…' : `${list.length} ${list.length === 1 ? 'key' : 'keys'}`}</caption>
            <thead>
              <tr>
                <th scope="col">Key id (kid)</th>
                <th scope="col">State</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Created</th>
                <th scope="col">Retired</th>
                <th scope="col">Published until</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <KeyRow key={k.kid} k={k} onChanged={changed} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="keys-jwks-heading">
        <h2 id="keys-jwks-heading">JWKS</h2>
        <p>
          What <a href={JWKS}>{JWKS}</a> publishes now (the jwks_uri of discovery).
        </p>
        <ErrorNotice error={jwks.error} />
        {/* Focusable so that a keyboard can scroll a wide key. */}
        <pre class="jwks" tabIndex={0} aria-label="JWKS preview">
          {jwks.data === undefined ? '' : JSON.stringify(jwks.data, null, 2)}
        </pre>
      </section>
    </Page>
  );
}
