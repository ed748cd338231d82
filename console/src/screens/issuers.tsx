// Issuers: trust-token issuers (/admin/v1/TrustTokenIssuers), whose trust tokens tokeninfo
// validates, and outside-issuer trusts (/admin/v1/IdentityPropagationTrusts), whose tokens are
// exchanged for this domain's tokens.
import { useState } from 'preact/hooks';
import { api, apiList } from '../api';
import { ActiveBadge, ActiveToggle } from '../lib/active';
import { ConfirmButton } from '../lib/confirm';
import {
  Badge,
  Button,
  Checkbox,
  DataTable,
  ErrorNotice,
  Field,
  Notice,
  Page,
  useAsync,
  type Column,
} from '../ui';
import { EMPTY_TRUST_FORM, trustBody, type KeySource, type TrustFormValues } from './issuers-trust-form';
import '../lib/directory.css';
import './issuers.css';

interface TrustTokenIssuer {
  issuer: string;
  algorithm: 'HS256' | 'RS256' | string;
  certAlias?: string;
}

interface Trust {
  id: string;
  name: string;
  type: string;
  issuer: string;
  active: boolean;
  subjectType: string;
  publicKeyEndpoint?: string;
  publicCertificate?: string;
  audiences: string[];
  oauthClients: string[];
  warnings?: string[];
}

const ISSUERS = '/admin/v1/TrustTokenIssuers';
const TRUSTS = '/admin/v1/IdentityPropagationTrusts';

// A group of radio buttons with a visible legend.
function Choice<T extends string>(props: {
  legend: string;
  name: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  return (
    <fieldset class="choices">
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label class="choice" key={o.value}>
          <input
            type="radio"
            name={props.name}
            checked={props.value === o.value}
            onChange={() => props.onChange(o.value)}
          />{' '}
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}

function AddTrustTokenIssuer(props: { onAdded: (issuer: string) => void }) {
  const [issuer, setIssuer] = useState('');
  const [kind, setKind] = useState<'secret' | 'certificate'>('secret');
  const [secret, setSecret] = useState('');
  const [alias, setAlias] = useState('');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body =
        kind === 'secret'
          ? { issuer: issuer.trim(), sharedSecret: secret }
          : { issuer: issuer.trim(), certAlias: alias.trim(), x509Base64Certificate: pem.trim() };
      await api('POST', ISSUERS, body);
      const added = issuer.trim();
      setIssuer('');
      setAlias('');
      setPem('');
      props.onAdded(added);
    } catch (err) {
      setError(err);
    } finally {
      // The secret does not stay in the page, whether it was accepted or not.
      setSecret('');
      setBusy(false);
    }
  };
  return (
    <form class="issuer-form card" onSubmit={submit} aria-labelledby="tti-add-heading">
      <h3 id="tti-add-heading">Add a trust-token issuer</h3>
      <Field id="tti-issuer" label="Issuer" required autoComplete="off" value={issuer} onInput={setIssuer} />
      <Choice
        legend="Key"
        name="tti-kind"
        value={kind}
        options={[
          { value: 'secret', label: 'Shared secret (HS256)' },
          { value: 'certificate', label: 'Certificate (RS256)' },
        ]}
        onChange={setKind}
      />
      {kind === 'secret' ? (
        <Field
          id="tti-secret"
          label="Shared secret"
          type="password"
          required
          autoComplete="new-password"
          hint="At least 32 bytes. It is never shown again."
          value={secret}
          onInput={setSecret}
        />
      ) : (
        <>
          <Field
            id="tti-alias"
            label="Certificate alias"
            required
            autoComplete="off"
            value={alias}
            onInput={setAlias}
          />
          <Field
            id="tti-pem"
            label="Certificate (PEM)"
            required
            multiline
            mono
            placeholder="-----BEGIN CERTIFICATE-----"
            value={pem}
            onInput={setPem}
          />
        </>
      )}
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Add issuer
        </Button>
      </div>
    </form>
  );
}

function TrustTokenIssuers() {
  const issuers = useAsync(() => apiList<TrustTokenIssuer>(ISSUERS), []);
  const [notice, setNotice] = useState('');
  const list = issuers.data ?? [];
  const changed = (message: string) => {
    setNotice(message);
    issuers.reload();
  };
  const columns: Column<TrustTokenIssuer>[] = [
    { header: 'Issuer', render: (i) => i.issuer },
    { header: 'Algorithm', render: (i) => i.algorithm },
    { header: 'Certificate alias', render: (i) => i.certAlias ?? '—' },
    {
      header: 'Actions',
      class: 'actions',
      render: (i) => (
        <ConfirmButton
          label="Delete"
          ariaLabel={`Delete issuer ${i.issuer}`}
          question={`Delete the trust-token issuer ${i.issuer}?`}
          confirmLabel="Delete issuer"
          danger
          onConfirm={async () => {
            await api('DELETE', `${ISSUERS}/${encodeURIComponent(i.issuer)}`);
            changed(`Issuer ${i.issuer} deleted.`);
          }}
        >
          <p>Its trust tokens are refused at tokeninfo from now on.</p>
        </ConfirmButton>
      ),
    },
  ];
  return (
    <section aria-labelledby="tti-heading">
      <h2 id="tti-heading">Trust-token issuers</h2>
      <p class="lead">
        Trust tokens of these issuers are accepted at tokeninfo: signed with a shared secret (HS256) or with
        the key of a certificate (RS256).
      </p>
      <ErrorNotice error={issuers.error} />
      <DataTable
        caption={
          issuers.loading && issuers.data === undefined
            ? 'Loading trust-token issuers…'
            : `${list.length} trust-token ${list.length === 1 ? 'issuer' : 'issuers'}`
        }
        columns={columns}
        rows={list}
        rowKey={(i) => i.issuer}
        empty="No trust-token issuer yet."
      />
      <Notice>{notice === '' ? null : notice}</Notice>
      <AddTrustTokenIssuer onAdded={(issuer) => changed(`Issuer ${issuer} added.`)} />
    </section>
  );
}

function Warnings(props: { trust: Trust }) {
  const warnings = props.trust.warnings ?? [];
  if (warnings.length === 0) return null;
  return (
    <div class="warnings" role="status">
      <p>
        <Badge tone="warn">warning</Badge> The trust {props.trust.name} was saved, with these risks:
      </p>
      <ul>
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}

function AddTrust(props: { onAdded: (t: Trust) => void }) {
  const [v, setV] = useState<TrustFormValues>(EMPTY_TRUST_FORM);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set =
    <K extends keyof TrustFormValues>(key: K) =>
    (value: TrustFormValues[K]) =>
      setV((old) => ({ ...old, [key]: value }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const created = await api<Trust>('POST', TRUSTS, trustBody(v));
      setV(EMPTY_TRUST_FORM);
      props.onAdded(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="issuer-form card" onSubmit={submit} aria-labelledby="trust-add-heading">
      <h3 id="trust-add-heading">Add an outside-issuer trust</h3>
      <Field id="trust-name" label="Name" required autoComplete="off" value={v.name} onInput={set('name')} />
      <Field
        id="trust-issuer"
        label="Issuer"
        required
        autoComplete="off"
        hint="The exact iss of the outside tokens."
        value={v.issuer}
        onInput={set('issuer')}
      />
      <Choice<KeySource>
        legend="Issuer keys"
        name="trust-keys"
        value={v.keySource}
        options={[
          { value: 'jwks', label: 'From a JWKS URL' },
          { value: 'discovery', label: "From OpenID Connect discovery (the issuer's jwks_uri)" },
          { value: 'certificate', label: 'From a certificate' },
        ]}
        onChange={set('keySource')}
      />
      {v.keySource === 'jwks' && (
        <Field
          id="trust-jwks"
          label="JWKS URL"
          type="url"
          required
          autoComplete="off"
          hint="https://, or http:// on a loopback address."
          value={v.publicKeyEndpoint}
          onInput={set('publicKeyEndpoint')}
        />
      )}
      {v.keySource === 'certificate' && (
        <Field
          id="trust-cert"
          label="Issuer certificate (PEM)"
          required
          multiline
          mono
          value={v.publicCertificate}
          onInput={set('publicCertificate')}
        />
      )}
      <Field
        id="trust-audiences"
        label="Accepted audiences"
        required
        multiline
        rows={2}
        hint="The aud values accepted, one per line."
        value={v.audiences}
        onInput={set('audiences')}
      />
      <Field
        id="trust-subject-type"
        label="Subject type"
        value={v.subjectType}
        options={[
          { value: 'User', label: 'User: the token stands for a user' },
          { value: 'App', label: 'App: an app authenticating itself' },
        ]}
        onInput={(x) => set('subjectType')(x as TrustFormValues['subjectType'])}
      />
      <Field
        id="trust-clients"
        label="Apps that may present its tokens"
        multiline
        rows={2}
        hint="Client ids, one per line (required for User)."
        value={v.oauthClients}
        onInput={set('oauthClients')}
      />
      <Field
        id="trust-subject-claim"
        label="Subject claim"
        autoComplete="off"
        placeholder="sub"
        hint="The claim holding the outside subject; sub when empty."
        value={v.subjectClaimName}
        onInput={set('subjectClaimName')}
      />
      <Field
        id="trust-mapping"
        label="User attribute the subject names"
        value={v.subjectMappingAttribute}
        options={[
          { value: 'userName', label: 'userName' },
          { value: 'email', label: 'email' },
          { value: 'id', label: 'id' },
        ]}
        onInput={(x) => set('subjectMappingAttribute')(x as TrustFormValues['subjectMappingAttribute'])}
      />
      <Checkbox label="Active (accept its tokens once saved)" checked={v.active} onChange={set('active')} />
      <details class="more">
        <summary>More options</summary>
        <Field
          id="trust-client-claim"
          label="Client claim"
          autoComplete="off"
          hint="The claim naming the outside token's client (azp, client_id…); required for App."
          value={v.clientClaimName}
          onInput={set('clientClaimName')}
        />
        <Field
          id="trust-client-values"
          label="Accepted clients"
          multiline
          rows={2}
          hint="Values of the client claim, one per line."
          value={v.clientClaimValues}
          onInput={set('clientClaimValues')}
        />
        <Field
          id="trust-conditions"
          label="Conditions"
          multiline
          mono
          rows={3}
          hint='One per line, all must hold: "repository in acme/deploy, acme/api" or "ref like refs/heads/*".'
          value={v.conditions}
          onInput={set('conditions')}
        />
        <Field
          id="trust-scopes"
          label="Allowed scopes"
          multiline
          rows={2}
          hint="Fully qualified scopes, one per line; when empty, the app's own."
          value={v.allowedScopes}
          onInput={set('allowedScopes')}
        />
        <Field
          id="trust-skew"
          label="Clock skew (seconds)"
          autoComplete="off"
          hint="0 to 300; 30 when empty."
          value={v.clockSkewSeconds}
          onInput={set('clockSkewSeconds')}
        />
        <Field
          id="trust-lifetime"
          label="Maximum token lifetime (seconds)"
          autoComplete="off"
          hint="60 or more; never past the outside token's exp."
          value={v.maxTokenLifetime}
          onInput={set('maxTokenLifetime')}
        />
        <Field
          id="trust-jti"
          label="Replay policy (jti)"
          value={v.jti}
          options={[
            { value: 'required', label: 'required: each token once' },
            {
              value: 'reuse-until-exp',
              label: 'reuse-until-exp: a token may be sent again until it expires',
            },
          ]}
          onInput={(x) => set('jti')(x as TrustFormValues['jti'])}
        />
        <Checkbox
          label="Allow impersonation of service users"
          checked={v.allowImpersonation}
          onChange={set('allowImpersonation')}
        />
        {v.allowImpersonation && (
          <Field
            id="trust-impersonation"
            label="Impersonation service users"
            multiline
            mono
            rows={3}
            hint={
              'One per line: the user id, a space, then the rule, e.g. 1f2e… repository eq "acme/deploy" and ref eq "refs/heads/main".'
            }
            value={v.impersonationServiceUsers}
            onInput={set('impersonationServiceUsers')}
          />
        )}
      </details>
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Add trust
        </Button>
      </div>
    </form>
  );
}

function keySource(t: Trust): string {
  if (t.publicKeyEndpoint !== undefined) return t.publicKeyEndpoint;
  if (t.publicCertificate !== undefined) return 'certificate';
  return 'discovery';
}

function OutsideTrusts() {
  const trusts = useAsync(() => apiList<Trust>(TRUSTS), []);
  const [notice, setNotice] = useState('');
  const [lastSaved, setLastSaved] = useState<Trust | undefined>(undefined);
  const list = trusts.data ?? [];
  const changed = (message: string, saved?: Trust) => {
    setNotice(message);
    setLastSaved(saved);
    trusts.reload();
  };
  const columns: Column<Trust>[] = [
    { header: 'Name', render: (t) => <strong>{t.name}</strong> },
    { header: 'Issuer', render: (t) => t.issuer },
    { header: 'Type', render: (t) => `${t.type} · ${t.subjectType}` },
    { header: 'Keys', render: keySource },
    { header: 'Status', render: (t) => <ActiveBadge active={t.active} /> },
    {
      header: 'Actions',
      class: 'actions',
      render: (t) => (
        <div class="row-actions">
          <ActiveToggle<Trust>
            active={t.active}
            path={`${TRUSTS}/${encodeURIComponent(t.id)}`}
            label={`trust ${t.name}`}
            message={(done) => `Trust ${t.name} ${done}.`}
            onChanged={changed}
          />
          <ConfirmButton
            label="Delete"
            ariaLabel={`Delete trust ${t.name}`}
            question={`Delete the trust ${t.name}?`}
            confirmLabel="Delete trust"
            danger
            onConfirm={async () => {
              await api('DELETE', `${TRUSTS}/${encodeURIComponent(t.id)}`);
              changed(`Trust ${t.name} deleted.`);
            }}
          >
            <p>Tokens of {t.issuer} are no longer exchanged through it.</p>
          </ConfirmButton>
        </div>
      ),
    },
  ];
  return (
    <section aria-labelledby="trusts-heading">
      <h2 id="trusts-heading">Outside-issuer trusts</h2>
      <p class="lead">
        Tokens of an outside issuer (a CI system, Kubernetes, another identity provider) are exchanged for
        this domain's tokens when they meet the trust's conditions.
      </p>
      <ErrorNotice error={trusts.error} />
      <DataTable
        caption={
          trusts.loading && trusts.data === undefined
            ? 'Loading trusts…'
            : `${list.length} ${list.length === 1 ? 'trust' : 'trusts'}`
        }
        columns={columns}
        rows={list}
        rowKey={(t) => t.id}
        empty="No outside-issuer trust yet."
      />
      <Notice>{notice === '' ? null : notice}</Notice>
      {lastSaved !== undefined && <Warnings trust={lastSaved} />}
      <AddTrust onAdded={(t) => changed(`Trust ${t.name} added.`, t)} />
    </section>
  );
}

export default function Issuers() {
  return (
    <Page title="Issuers">
      <TrustTokenIssuers />
      <OutsideTrusts />
    </Page>
  );
}
