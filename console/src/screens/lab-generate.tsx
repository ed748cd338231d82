// The Assertion Lab's generate mode: a key pair made by WebCrypto with a non-extractable private
// key, a self-signed certificate of its public key (lib/x509.ts) uploaded as a client certificate
// and attached to the chosen app, and a test assertion signed with the key (lib/jws.ts). The
// private key lives only in this component's memory, as a CryptoKey no script can export;
// nothing is written to the browser's storage, and leaving the page forgets it.
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, apiList } from '../api';
import { assertionClaims, signJwt } from '../lib/jws';
import { keyParams, selfSignedCertificate, thumbprints, toBase64, type KeyAlg } from '../lib/x509';
import { Button, ErrorNotice, Field, Loading, useAsync } from '../ui';

interface App {
  id: string;
  displayName: string;
  name?: string;
  active: boolean;
  isOAuthClient?: boolean;
  isAdmin?: boolean;
  assertionAlgorithms?: string[];
  certificates?: { certAlias: string }[];
}

interface User {
  id: string;
  userName: string;
  active: boolean;
}

interface StoredCertificate {
  certificateAlias: string;
  x5t: string;
  'x5t#S256': string;
  notAfter: string;
}

// The key made in this page, with what it was registered as.
interface Generated {
  alg: KeyAlg;
  alias: string;
  keyPair: CryptoKeyPair;
  clientId: string;
  appName: string;
}

const KEY_TYPES: { value: KeyAlg; label: string }[] = [
  { value: 'RS256', label: 'RSA 2048 (RS256)' },
  { value: 'ES256', label: 'EC P-256 (ES256)' },
];

const ASSERTION_LIFETIME = 300; // seconds: exp = now + 5 minutes
const CERTIFICATE_DAYS = 30;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function randomAlias(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `lab-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// The issuer the server names itself by: an accepted aud in every audience mode.
async function issuer(): Promise<string> {
  const doc = await api<{ issuer?: string }>('GET', '/.well-known/openid-configuration');
  if (!doc || typeof doc.issuer !== 'string') throw new Error('the discovery document names no issuer');
  return doc.issuer;
}

export default function Generate({
  onGenerated,
}: {
  onGenerated: (assertion: string, clientId: string) => void;
}) {
  const apps = useAsync(() => apiList<App>('/admin/v1/Apps'), []);
  const users = useAsync(() => apiList<User>('/admin/v1/Users'), []);
  const [appId, setAppId] = useState('');
  const [userName, setUserName] = useState('');
  const [alias, setAlias] = useState(randomAlias);
  const [alg, setAlg] = useState<KeyAlg>('RS256');
  const [steps, setSteps] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const generated = useRef<Generated | null>(null);
  const [keyInfo, setKeyInfo] = useState<{ alg: KeyAlg; alias: string; extractable: boolean } | null>(
    null,
  );

  // Confidential apps; never an administrator app: a certificate made for a test is not to be
  // trusted for the domain's administration.
  const clients = (apps.data ?? []).filter((a) => a.isOAuthClient && !a.isAdmin);
  const chosenApp = clients.find((a) => a.id === appId) ?? clients[0];
  const chosenUser = userName || users.data?.[0]?.userName || '';

  async function sign(g: Generated, user: string, done: string[]): Promise<void> {
    const aud = await issuer();
    const claims = assertionClaims({
      clientId: g.clientId,
      userName: user,
      audience: aud,
      now: Math.floor(Date.now() / 1000),
      lifetime: ASSERTION_LIFETIME,
    });
    const token = await signJwt(g.alg, g.alias, claims, g.keyPair.privateKey);
    done.push(
      `Signed a test assertion (${g.alg}, kid ${g.alias}): iss ${g.clientId}, sub ${user}, aud ${aud}, valid 5 minutes, a random jti. Put in the form above and checked.`,
    );
    setSteps([...done]);
    onGenerated(token, g.clientId);
  }

  async function generate(e: JSX.TargetedEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    if (!chosenApp || !chosenApp.name) return;
    setBusy(true);
    setError(undefined);
    const done: string[] = [];
    setSteps(done);
    try {
      const params = keyParams(alg);
      // extractable = false: the private key can sign, and never leave WebCrypto. The public key
      // of a pair is always exportable (its SPKI goes into the certificate).
      const keyPair = await crypto.subtle.generateKey(params.generate, false, ['sign', 'verify']);
      generated.current = null;
      setKeyInfo({ alg, alias, extractable: keyPair.privateKey.extractable });
      done.push(
        `Generated a ${alg === 'RS256' ? 'RSA 2048' : 'EC P-256'} key pair in the browser; the private key is not extractable and is kept in this page's memory only.`,
      );
      setSteps([...done]);

      const now = Date.now();
      const der = await selfSignedCertificate({
        alg,
        keyPair,
        commonName: alias,
        notBefore: new Date(now - 5 * 60 * 1000),
        notAfter: new Date(now + CERTIFICATE_DAYS * 86400 * 1000),
      });
      const local = await thumbprints(der);
      const stored = await api<StoredCertificate>('POST', '/admin/v1/OAuthClientCertificates', {
        certificateAlias: alias,
        x509Base64Certificate: toBase64(der),
      });
      done.push(
        `Uploaded only the self-signed certificate (CN=${alias}, ${CERTIFICATE_DAYS} days) as client certificate ${stored.certificateAlias}: x5t#S256 ${stored['x5t#S256']}${stored['x5t#S256'] === local.x5tS256 ? ' (as computed here)' : ` (computed here: ${local.x5tS256})`}.`,
      );
      setSteps([...done]);

      const operations: unknown[] = [
        { op: 'add', path: 'certificates', value: [{ certAlias: alias }] },
      ];
      const algs = chosenApp.assertionAlgorithms ?? ['RS256'];
      const allowAlg = !algs.includes(alg);
      if (allowAlg) {
        operations.push({ op: 'replace', path: 'assertionAlgorithms', value: [...algs, alg] });
      }
      await api<App>('PATCH', `/admin/v1/Apps/${encodeURIComponent(chosenApp.id)}`, {
        schemas: [PATCH_OP],
        Operations: operations,
      });
      done.push(
        `Attached certificate ${alias} to app ${chosenApp.displayName} (PATCH /admin/v1/Apps/${chosenApp.id}, add certificates)` +
          (allowAlg ? `, and allowed ${alg} in its assertion algorithms.` : '.'),
      );
      setSteps([...done]);
      apps.reload();

      const g: Generated = {
        alg,
        alias,
        keyPair,
        clientId: chosenApp.name,
        appName: chosenApp.displayName,
      };
      generated.current = g;
      await sign(g, chosenUser, done);
      setAlias(randomAlias());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function signAgain(): Promise<void> {
    const g = generated.current;
    if (!g) return;
    setBusy(true);
    setError(undefined);
    const done = [...steps];
    try {
      await sign(g, chosenUser, done);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const loading = apps.loading && !apps.data;
  return (
    <section class="card lab-section" aria-labelledby="lab-generate-title">
      <h2 id="lab-generate-title">Generate a key, a certificate and a test assertion</h2>
      <p>
        Makes a key pair in this browser (WebCrypto, private key not extractable), uploads only a
        self-signed certificate of its public key, attaches it to the app, signs a test assertion
        with it and checks that. The private key is never sent nor stored: it is gone when you
        leave the page.
      </p>
      {loading ? <Loading label="Loading apps and users…" /> : null}
      <ErrorNotice error={apps.error ?? users.error} />
      {!loading && clients.length === 0 && !apps.error ? (
        <p>There is no confidential app yet: create one on the Applications screen first.</p>
      ) : null}
      {clients.length > 0 ? (
        <form class="lab-form" onSubmit={(e) => void generate(e)}>
          <Field
            id="lab-gen-app"
            label="Application"
            value={chosenApp?.id ?? ''}
            onInput={setAppId}
            options={clients.map((a) => ({
              value: a.id,
              label: `${a.displayName} (${a.name ?? a.id})${a.active ? '' : ', inactive'}`,
            }))}
          />
          <Field
            id="lab-gen-user"
            label="User"
            value={chosenUser}
            onInput={setUserName}
            options={(users.data ?? []).map((u) => ({
              value: u.userName,
              label: `${u.userName}${u.active ? '' : ' (inactive)'}`,
            }))}
            hint="The assertion's sub: the userName of the user the token would be for."
          />
          <Field
            id="lab-gen-alias"
            label="Certificate alias"
            value={alias}
            onInput={setAlias}
            required
            autoComplete="off"
            hint="The alias the certificate is uploaded under; the assertion names it as kid."
          />
          <Field
            id="lab-gen-type"
            label="Key type"
            value={alg}
            onInput={(v) => setAlg(v === 'ES256' ? 'ES256' : 'RS256')}
            options={KEY_TYPES}
          />
          <div class="form-actions">
            <Button type="submit" variant="primary" busy={busy} disabled={!chosenUser}>
              Generate and sign
            </Button>
            {generated.current ? (
              <Button onClick={() => void signAgain()} busy={busy}>
                Sign a new assertion with this key
              </Button>
            ) : null}
          </div>
        </form>
      ) : null}
      <ErrorNotice error={error} />
      {keyInfo ? (
        <dl class="lab-key" id="lab-key">
          <div>
            <dt>Key</dt>
            <dd>
              {keyInfo.alg}, certificate alias <code>{keyInfo.alias}</code>
            </dd>
          </div>
          <div>
            <dt>Private key extractable</dt>
            <dd id="lab-key-extractable">{keyInfo.extractable ? 'yes' : 'no'}</dd>
          </div>
        </dl>
      ) : null}
      {steps.length > 0 ? (
        <div aria-live="polite">
          <h3>What was done</h3>
          <ol class="lab-steps" id="lab-steps">
            {steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}
