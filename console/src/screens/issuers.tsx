// Issuers: trust-token issuers (/admin/v1/TrustTokenIssuers), whose trust tokens tokeninfo
// validates, and outside-issuer trusts (/admin/v1/IdentityPropagationTrusts), whose tokens are
// exchanged for this domain's tokens.
import type {ComponentChildren} from 'preact';
import {useState} from 'preact/hooks';
import {api} from '../api';
import {ConfirmButton} from '../lib/confirm';
import {useLoad} from '../lib/load';
import {replaceOp} from '../lib/scim';
import {Badge, ErrorNotice, Page} from '../ui';
import {EMPTY_TRUST_FORM, trustBody, type TrustFormValues} from './issuers-trust-form';
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

function Row(props: {id: string; label: string; children: ComponentChildren; hint?: string}) {
  return (
    <div class="form-row">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint !== undefined && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

function AddTrustTokenIssuer(props: {onAdded: (issuer: string) => void}) {
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
          ? {issuer: issuer.trim(), sharedSecret: secret}
          : {issuer: issuer.trim(), certAlias: alias.trim(), x509Base64Certificate: pem.trim()};
      await api('POST', ISSUERS, body);
      const added = issuer.trim();
      setIssuer('');
      setAlias('');
      setPem('');
      props.onAdded(added);
    } catch (err) {
      setError(err);
    } finally {
      // The secret never stays in the page, whether it was accepted or not.
      setSecret('');
      setBusy(false);
    }
  };
  return (
    <form class="issuer-form" onSubmit={submit} aria-labelledby="tti-add-heading">
      <h3 id="tti-add-heading">Add a trust-token issuer</h3>
      <Row id="tti-issuer" label="Issuer">
        <input id="tti-issuer" required autocomplete="off" value={issuer} onInput={(e) => setIssuer(e.currentTarget.value)} />
      </Row>
      <fieldset>
        <legend>Key</legend>
        <label class="choice">
          <input type="radio" name="tti-kind" checked={kind === 'secret'} onChange={() => setKind('secret')} /> Shared
          secret (HS256)
        </label>
        <label class="choice">
          <input type="radio" name="tti-kind" checked={kind === 'certificate'} onChange={() => setKind('certificate')} />{' '}
          Certificate (RS256)
        </label>
      </fieldset>
      {kind === 'secret' ? (
        <Row id="tti-secret" label="Shared secret" hint="At least 32 bytes. It is never shown again.">
          <input
            id="tti-secret"
            type="password"
            required
            minLength={32}
            autocomplete="new-password"
            aria-describedby="tti-secret-hint"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </Row>
      ) : (
        <>
          <Row id="tti-alias" label="Certificate alias">
            <input id="tti-alias" required autocomplete="off" value={alias} onInput={(e) => setAlias(e.currentTarget.value)} />
          </Row>
          <Row id="tti-pem" label="Certificate (PEM)">
            <textarea
              id="tti-pem"
              required
              rows={6}
              class="mono"
              spellcheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              value={pem}
              onInput={(e) => setPem(e.currentTarget.value)}
            />
          </Row>
        </>
      )}
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        Add issuer
      </button>
    </form>
  );
}

function TrustTokenIssuers() {
  const issuers = useLoad(() => api<{Resources?: TrustTokenIssuer[]}>('GET', ISSUERS).then((l) => l.Resources ?? []), []);
  const [notice, setNotice] = useState('');
  const list = issuers.data ?? [];
  const changed = (message: string) => {
    setNotice(message);
    void issuers.reload();
  };
  return (
    <section aria-labelledby="tti-heading">
      <h2 id="tti-heading">Trust-token issuers</h2>
      <p class="lead">
        Trust tokens of these issuers are accepted at tokeninfo: signed with a shared secret (HS256) or with the key of
        a certificate (RS256).
      </p>
      <ErrorNotice error={issuers.error} />
      <div class="table-scroll">
        <table>
          <caption>{issuers.loading && issuers.data === undefined ? 'Loading issuers…' : `${list.length} trust-token ${list.length === 1 ? 'issuer' : 'issuers'}`}</caption>
          <thead>
            <tr>
              <th scope="col">Issuer</th>
              <th scope="col">Algorithm</th>
              <th scope="col">Certificate alias</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.issuer}>
                <th scope="row" class="wrap">
                  {i.issuer}
                </th>
                <td data-label="Algorithm">{i.algorithm}</td>
                <td data-label="Certificate alias">{i.certAlias ?? '—'}</td>
                <td class="actions">
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
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p role="status" class="notice">
        {notice}
      </p>
      <AddTrustTokenIssuer onAdded={(issuer) => changed(`Issuer ${issuer} added.`)} />
    </section>
  );
}

function Warnings(props: {name: string; warnings: string[] | undefined}) {
  if (props.warnings === undefined || props.warnings.length === 0) return null;
  return (
    <div class="warnings">
      <p>
        <Badge tone="warn">warning</Badge> The trust {props.name} was saved, with these risks:
      </p>
      <ul>
        {props.warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}

function AddTrust(props: {onAdded: (t: Trust) => void}) {
  const [v, setV] = useState<TrustFormValues>(EMPTY_TRUST_FORM);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof TrustFormValues>(key: K, value: TrustFormValues[K]) => setV((old) => ({...old, [key]: value}));
  const text = (key: keyof TrustFormValues) => (e: {currentTarget: {value: string}}) =>
    set(key, e.currentTarget.value as never);
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
    <form class="issuer-form" onSubmit={submit} aria-labelledby="trust-add-heading">
      <h3 id="trust-add-heading">Add an outside-issuer trust</h3>
      <Row id="trust-name" label="Name">
        <input id="trust-name" required maxLength={256} autocomplete="off" value={v.name} onInput={text('name')} />
      </Row>
      <Row id="trust-issuer" label="Issuer" hint="The exact iss of the outside tokens.">
        <input
          id="trust-issuer"
          required
          autocomplete="off"
          aria-describedby="trust-issuer-hint"
          value={v.issuer}
          onInput={text('issuer')}
        />
      </Row>
      <fieldset>
        <legend>Issuer keys</legend>
        <label class="choice">
          <input type="radio" name="trust-keys" checked={v.keySource === 'jwks'} onChange={() => set('keySource', 'jwks')} /> From a
          JWKS URL
        </label>
        <label class="choice">
          <input
            type="radio"
            name="trust-keys"
            checked={v.keySource === 'discovery'}
            onChange={() => set('keySource', 'discovery')}
          />{' '}
          From OpenID Connect discovery (the issuer's jwks_uri)
        </label>
        <label class="choice">
          <input
            type="radio"
            name="trust-keys"
            checked={v.keySource === 'certificate'}
            onChange={() => set('keySource', 'certificate')}
          />{' '}
          From a certificate
        </label>
      </fieldset>
      {v.keySource === 'jwks' && (
        <Row id="trust-jwks" label="JWKS URL" hint="https://, or http:// on a loopback address.">
          <input
            id="trust-jwks"
            type="url"
            required
            autocomplete="off"
            aria-describedby="trust-jwks-hint"
            value={v.publicKeyEndpoint}
            onInput={text('publicKeyEndpoint')}
          />
        </Row>
      )}
      {v.keySource === 'certificate' && (
        <Row id="trust-cert" label="Issuer certificate (PEM)">
          <textarea
            id="trust-cert"
            required
            rows={6}
            class="mono"
            spellcheck={false}
            value={v.publicCertificate}
            onInput={text('publicCertificate')}
          />
        </Row>
      )}
      <Row id="trust-audiences" label="Accepted audiences" hint="The aud values accepted, one per line.">
        <textarea
          id="trust-audiences"
          required
          rows={2}
          aria-describedby="trust-audiences-hint"
          value={v.audiences}
          onInput={text('audiences')}
        />
      </Row>
      <Row id="trust-subject-type" label="Subject type">
        <select
          id="trust-subject-type"
          value={v.subjectType}
          onChange={(e) => set('subjectType', e.currentTarget.value as TrustFormValues['subjectType'])}
        >
          <option value="User">User: the token stands for a user</option>
          <option value="App">App: an app authenticating itself</option>
        </select>
      </Row>
      <Row id="trust-clients" label="Apps that may present its tokens" hint="Client ids, one per line (required for User).">
        <textarea
          id="trust-clients"
          rows={2}
          aria-describedby="trust-clients-hint"
          value={v.oauthClients}
          onInput={text('oauthClients')}
        />
      </Row>
      <Row id="trust-subject-claim" label="Subject claim" hint="The claim holding the outside subject; sub when empty.">
        <input
          id="trust-subject-claim"
          autocomplete="off"
          placeholder="sub"
          aria-describedby="trust-subject-claim-hint"
          value={v.subjectClaimName}
          onInput={text('subjectClaimName')}
        />
      </Row>
      <Row id="trust-mapping" label="User attribute the subject names">
        <select
          id="trust-mapping"
          value={v.subjectMappingAttribute}
          onChange={(e) => set('subjectMappingAttribute', e.currentTarget.value as TrustFormValues['subjectMappingAttribute'])}
        >
          <option value="userName">userName</option>
          <option value="email">email</option>
          <option value="id">id</option>
        </select>
      </Row>
      <label class="choice">
        <input type="checkbox" checked={v.active} onChange={(e) => set('active', e.currentTarget.checked)} /> Active (accept its
        tokens once saved)
      </label>
      <details class="more">
        <summary>More options</summary>
        <Row id="trust-client-claim" label="Client claim" hint="The claim naming the outside token's client (azp, client_id…); required for App.">
          <input
            id="trust-client-claim"
            autocomplete="off"
            aria-describedby="trust-client-claim-hint"
            value={v.clientClaimName}
            onInput={text('clientClaimName')}
          />
        </Row>
        <Row id="trust-client-values" label="Accepted clients" hint="Values of the client claim, one per line.">
          <textarea
            id="trust-client-values"
            rows={2}
            aria-describedby="trust-client-values-hint"
            value={v.clientClaimValues}
            onInput={text('clientClaimValues')}
          />
        </Row>
        <Row
          id="trust-conditions"
          label="Conditions"
          hint='One per line, all must hold: "repository in acme/deploy, acme/api" or "ref like refs/heads/*".'
        >
          <textarea
            id="trust-conditions"
            rows={3}
            class="mono"
            spellcheck={false}
            aria-describedby="trust-conditions-hint"
            value={v.conditions}
            onInput={text('conditions')}
          />
        </Row>
        <Row id="trust-scopes" label="Allowed scopes" hint="Fully qualified scopes, one per line; empty: the app's own.">
          <textarea
            id="trust-scopes"
            rows={2}
            aria-describedby="trust-scopes-hint"
            value={v.allowedScopes}
            onInput={text('allowedScopes')}
          />
        </Row>
        <Row id="trust-skew" label="Clock skew (seconds)" hint="0 to 300; 30 when empty.">
          <input
            id="trust-skew"
            inputMode="numeric"
            autocomplete="off"
            aria-describedby="trust-skew-hint"
            value={v.clockSkewSeconds}
            onInput={text('clockSkewSeconds')}
          />
        </Row>
        <Row id="trust-lifetime" label="Maximum token lifetime (seconds)" hint="60 or more; never past the outside token's exp.">
          <input
            id="trust-lifetime"
            inputMode="numeric"
            autocomplete="off"
            aria-describedby="trust-lifetime-hint"
            value={v.maxTokenLifetime}
            onInput={text('maxTokenLifetime')}
          />
        </Row>
        <Row id="trust-jti" label="Replay policy (jti)">
          <select id="trust-jti" value={v.jti} onChange={(e) => set('jti', e.currentTarget.value as TrustFormValues['jti'])}>
            <option value="required">required: each token once</option>
            <option value="reuse-until-exp">reuse-until-exp: a token may be sent again until it expires</option>
          </select>
        </Row>
        <label class="choice">
          <input
            type="checkbox"
            checked={v.allowImpersonation}
            onChange={(e) => set('allowImpersonation', e.currentTarget.checked)}
          />{' '}
          Allow impersonation of service users
        </label>
        {v.allowImpersonation && (
          <Row
            id="trust-impersonation"
            label="Impersonation service users"
            hint={'One per line: the user id, a space, then the rule, e.g. 1f2e… repository eq "acme/deploy" and ref eq "refs/heads/main".'}
          >
            <textarea
              id="trust-impersonation"
              rows={3}
              class="mono"
              spellcheck={false}
              aria-describedby="trust-impersonation-hint"
              value={v.impersonationServiceUsers}
              onInput={text('impersonationServiceUsers')}
            />
          </Row>
        )}
      </details>
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        Add trust
      </button>
    </form>
  );
}

function keySource(t: Trust): string {
  if (t.publicKeyEndpoint !== undefined) return t.publicKeyEndpoint;
  if (t.publicCertificate !== undefined) return 'certificate';
  return 'discovery';
}

function TrustRow(props: {t: Trust; onChanged: (message: string, saved?: Trust) => void}) {
  const t = props.t;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setError(null);
    setBusy(true);
    try {
      const saved = await api<Trust>('PATCH', `${TRUSTS}/${encodeURIComponent(t.id)}`, replaceOp('active', !t.active));
      props.onChanged(`Trust ${t.name} ${t.active ? 'deactivated' : 'activated'}.`, saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <th scope="row">{t.name}</th>
      <td data-label="Issuer" class="wrap">
        {t.issuer}
      </td>
      <td data-label="Type">
        {t.type} · {t.subjectType}
      </td>
      <td data-label="Keys" class="wrap">
        {keySource(t)}
      </td>
      <td data-label="Status">
        <Badge tone={t.active ? 'ok' : 'muted'}>{t.active ? 'active' : 'inactive'}</Badge>
      </td>
      <td class="actions">
        <button type="button" disabled={busy} aria-label={`${t.active ? 'Deactivate' : 'Activate'} trust ${t.name}`} onClick={toggle}>
          {t.active ? 'Deactivate' : 'Activate'}
        </button>{' '}
        <ConfirmButton
          label="Delete"
          ariaLabel={`Delete trust ${t.name}`}
          question={`Delete the trust ${t.name}?`}
          confirmLabel="Delete trust"
          danger
          onConfirm={async () => {
            await api('DELETE', `${TRUSTS}/${encodeURIComponent(t.id)}`);
            props.onChanged(`Trust ${t.name} deleted.`);
          }}
        >
          <p>Tokens of {t.issuer} are no longer exchanged through it.</p>
        </ConfirmButton>
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}

function OutsideTrusts() {
  const trusts = useLoad(() => api<{Resources?: Trust[]}>('GET', TRUSTS).then((l) => l.Resources ?? []), []);
  const [notice, setNotice] = useState('');
  const [lastSaved, setLastSaved] = useState<Trust | undefined>(undefined);
  const list = trusts.data ?? [];
  const changed = (message: string, saved?: Trust) => {
    setNotice(message);
    setLastSaved(saved);
    void trusts.reload();
  };
  return (
    <section aria-labelledby="trusts-heading">
      <h2 id="trusts-heading">Outside-issuer trusts</h2>
      <p class="lead">
        Tokens of an outside issuer (a CI system, Kubernetes, another identity provider) are exchanged for this domain's
        tokens when they meet the trust's conditions.
      </p>
      <ErrorNotice error={trusts.error} />
      <div class="table-scroll">
        <table>
          <caption>{trusts.loading && trusts.data === undefined ? 'Loading trusts…' : `${list.length} ${list.length === 1 ? 'trust' : 'trusts'}`}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Issuer</th>
              <th scope="col">Type</th>
              <th scope="col">Keys</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <TrustRow key={t.id} t={t} onChanged={changed} />
            ))}
          </tbody>
        </table>
      </div>
      <div role="status" class="notice">
        <p>{notice}</p>
        {lastSaved !== undefined && <Warnings name={lastSaved.name} warnings={lastSaved.warnings} />}
      </div>
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
