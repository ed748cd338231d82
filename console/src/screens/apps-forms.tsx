// The two forms of the Applications screen, for a confidential client and a resource app: they
// create one (POST /admin/v1/Apps) or change an existing one's settings (PATCH
// /admin/v1/Apps/{id}), docs/http-api.md section 6.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Button, ErrorNotice, Field } from '../ui';
import {
  APPS_PATH,
  GRANTS,
  OPERATIONS,
  appPath,
  fullyQualifiedScope,
  parseSeconds,
  replacePatch,
  type App,
  type ClientCertificate,
  type CreatedApp,
} from './apps-model';

const EXPIRY_LABEL = 'Access token expiry (seconds)';
const EXPIRY_HINT = 'From 60 to 31556952. Empty: the default (3600, or what the resource sets).';

/**
 * Sends the form: a creation when `editing` is absent, else a PATCH replacing the attributes.
 * In a change an empty lifetime is sent as null, which resets it to the default.
 */
function save(editing: App | undefined, attributes: Record<string, unknown>): Promise<CreatedApp> {
  if (editing === undefined) return api<CreatedApp>('POST', APPS_PATH, attributes);
  const changed = {
    ...attributes,
    accessTokenExpiry: attributes.accessTokenExpiry ?? null,
  };
  return api<CreatedApp>('PATCH', appPath(editing.id), replacePatch(changed));
}

/** The scopes to offer: the resource apps' ones, and any the app holds that none defines now. */
function scopeOptions(available: { fqs: string; app: string }[], app: App | undefined) {
  const options = available.map((s) => ({
    value: s.fqs,
    label: s.fqs,
    hint: s.app,
  }));
  for (const { fqs } of app?.allowedScopes ?? []) {
    if (!available.some((s) => s.fqs === fqs))
      options.push({
        value: fqs,
        label: fqs,
        hint: 'no resource app defines it now',
      });
  }
  return options;
}

function expiryText(app: App | undefined): string {
  return app?.accessTokenExpiry !== undefined ? String(app.accessTokenExpiry) : '';
}

function toggled(list: string[], value: string, on: boolean): string[] {
  const rest = list.filter((v) => v !== value);
  return on ? [...rest, value] : rest;
}

/** Choices whose hint is their value (the grant type or operation as the API names it). */
function valueHinted(list: readonly { value: string; label: string }[]) {
  return list.map((o) => ({ value: o.value, label: o.label, hint: o.value }));
}

/** A fieldset of checkboxes; `idPrefix` keeps the ids of the inputs unique on the page. */
function Choices(props: {
  legend: string;
  idPrefix: string;
  options: readonly { value: string; label: string; hint?: string }[];
  chosen: string[];
  onToggle: (value: string, on: boolean) => void;
  empty?: string;
}) {
  return (
    <fieldset class="apps-choices">
      <legend>{props.legend}</legend>
      {props.options.length === 0 && <p class="apps-note">{props.empty}</p>}
      {props.options.map((o, i) => (
        <div class="checkbox apps-check" key={o.value}>
          <input
            type="checkbox"
            id={`${props.idPrefix}-${i}`}
            checked={props.chosen.includes(o.value)}
            onChange={(e) => props.onToggle(o.value, e.currentTarget.checked)}
          />
          <label for={`${props.idPrefix}-${i}`}>
            {o.label}
            {o.hint !== undefined && <span class="apps-hint">{o.hint}</span>}
          </label>
        </div>
      ))}
    </fieldset>
  );
}

/** The submit state shared by both forms: busy while sending, the server's refusal shown. */
function useSubmit(send: () => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await send();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

/**
 * Creates a confidential app (`onCreated` gets the answer, which holds the client secret), or
 * with `editing` changes its settings (certificates have their own section then).
 */
export function ClientForm(props: {
  editing?: App;
  scopes: { fqs: string; app: string }[];
  certificates: ClientCertificate[];
  onCreated: (app: CreatedApp) => void;
  onCancel: () => void;
}) {
  const e0 = props.editing;
  const [displayName, setDisplayName] = useState(e0?.displayName ?? '');
  const [description, setDescription] = useState(e0?.description ?? '');
  const [grants, setGrants] = useState<string[]>(e0?.allowedGrants ?? ['client_credentials']);
  const [scopes, setScopes] = useState<string[]>((e0?.allowedScopes ?? []).map((s) => s.fqs));
  const [operations, setOperations] = useState<string[]>(e0?.allowedOperations ?? []);
  const [certs, setCerts] = useState<string[]>([]);
  const [expiry, setExpiry] = useState(expiryText(e0));

  const { error, busy, submit } = useSubmit(async () => {
    const attributes: Record<string, unknown> = {
      displayName,
      description,
      allowedGrants: grants,
      allowedScopes: scopes.map((fqs) => ({ fqs })),
      allowedOperations: operations,
      accessTokenExpiry: parseSeconds(expiry),
    };
    if (e0 === undefined) {
      attributes.isOAuthClient = true;
      attributes.clientType = 'confidential';
      attributes.certificates = certs.map((certAlias) => ({ certAlias }));
    }
    props.onCreated(await save(e0, attributes));
  });

  return (
    <form class="apps-form" onSubmit={submit} aria-labelledby="apps-client-title">
      {e0 === undefined ? (
        <>
          <h2 id="apps-client-title">New confidential app</h2>
          <p class="apps-note">
            A client that gets tokens with its client id and secret (or its certificates). It starts
            inactive: activate it once it is set up.
          </p>
        </>
      ) : (
        <h3 id="apps-client-title">Settings</h3>
      )}
      <Field label="Display name" required value={displayName} onInput={setDisplayName} />
      <Field label="Description" multiline rows={3} value={description} onInput={setDescription} />
      <Choices
        legend="Allowed grants"
        idPrefix="apps-client-grant"
        options={valueHinted(GRANTS)}
        chosen={grants}
        onToggle={(v, on) => setGrants(toggled(grants, v, on))}
      />
      <Choices
        legend="Allowed scopes"
        idPrefix="apps-client-scope"
        options={scopeOptions(props.scopes, e0)}
        chosen={scopes}
        onToggle={(v, on) => setScopes(toggled(scopes, v, on))}
        empty="No resource app defines a scope yet: create a resource app first."
      />
      <Field
        label={EXPIRY_LABEL}
        hint={EXPIRY_HINT}
        placeholder="3600"
        value={expiry}
        onInput={setExpiry}
      />
      <Choices
        legend="Allowed operations"
        idPrefix="apps-client-op"
        options={valueHinted(OPERATIONS)}
        chosen={operations}
        onToggle={(v, on) => setOperations(toggled(operations, v, on))}
      />
      {e0 === undefined && (
        <Choices
          legend="Certificates to attach"
          idPrefix="apps-client-cert"
          options={props.certificates.map((c) => ({
            value: c.certificateAlias,
            label: c.certificateAlias,
            hint: `valid until ${c.notAfter}`,
          }))}
          chosen={certs}
          onToggle={(v, on) => setCerts(toggled(certs, v, on))}
          empty="No client certificate is uploaded yet (the Certificates screen uploads them)."
        />
      )}
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {e0 === undefined ? 'Create confidential app' : 'Save settings'}
        </Button>
        <Button onClick={props.onCancel}>Cancel</Button>
      </div>
    </form>
  );
}

/**
 * Creates a resource app, or with `editing` changes it, previewing each fully qualified scope
 * as it is typed.
 */
export function ResourceForm(props: {
  editing?: App;
  onCreated: (app: CreatedApp) => void;
  onCancel: () => void;
}) {
  const e0 = props.editing;
  const [displayName, setDisplayName] = useState(e0?.displayName ?? '');
  const [description, setDescription] = useState(e0?.description ?? '');
  const [audience, setAudience] = useState(e0?.audience ?? '');
  const [values, setValues] = useState<string[]>(
    e0?.scopes !== undefined && e0.scopes.length > 0 ? e0.scopes.map((s) => s.value) : [''],
  );
  const [expiry, setExpiry] = useState(expiryText(e0));

  const setValue = (i: number, v: string) => setValues(values.map((old, j) => (j === i ? v : old)));
  const filled = values.filter((v) => v !== '');

  const { error, busy, submit } = useSubmit(async () => {
    const attributes: Record<string, unknown> = {
      displayName,
      description,
      audience,
      scopes: filled.map((value) => ({ value })),
      accessTokenExpiry: parseSeconds(expiry),
    };
    if (e0 === undefined) attributes.isOAuthResource = true;
    props.onCreated(await save(e0, attributes));
  });

  const PreviewHeading = e0 === undefined ? 'h3' : 'h4';
  return (
    <form class="apps-form" onSubmit={submit} aria-labelledby="apps-resource-title">
      {e0 === undefined ? (
        <>
          <h2 id="apps-resource-title">New resource app</h2>
          <p class="apps-note">
            A service that accepts tokens: its audience and scopes are what confidential apps are
            allowed to request.
          </p>
        </>
      ) : (
        <>
          <h3 id="apps-resource-title">Settings</h3>
          <p class="apps-note">
            Confidential apps name these scopes by their fully qualified form: changing the audience
            or a value changes it, and apps allowed the old one can no longer get it.
          </p>
        </>
      )}
      <Field label="Display name" required value={displayName} onInput={setDisplayName} />
      <Field label="Description" multiline rows={3} value={description} onInput={setDescription} />
      <Field
        label="Audience"
        required
        mono
        spellcheck={false}
        placeholder="https://oic.example.com:443"
        hint="The aud of the tokens that carry this app's scopes."
        value={audience}
        onInput={setAudience}
      />
      <fieldset class="apps-choices">
        <legend>Scopes</legend>
        {values.map((v, i) => (
          <div class="apps-scope-row" key={i}>
            <Field
              label={`Scope value ${i + 1}`}
              mono
              spellcheck={false}
              placeholder="urn:opc:resource:consumer::all"
              value={v}
              onInput={(text) => setValue(i, text)}
            />
            {values.length > 1 && (
              <Button
                aria-label={`Remove scope value ${i + 1}`}
                onClick={() => setValues(values.filter((_, j) => j !== i))}
              >
                Remove
              </Button>
            )}
          </div>
        ))}
        <Button onClick={() => setValues([...values, ''])} disabled={values.length >= 100}>
          Add a scope
        </Button>
      </fieldset>
      <section class="apps-preview" aria-labelledby="apps-preview-title">
        <PreviewHeading id="apps-preview-title">Fully qualified scopes</PreviewHeading>
        <p class="apps-note">
          What confidential apps request and are allowed: the audience followed directly by the
          scope value, exactly as written here.
        </p>
        <ul aria-live="polite" id="apps-fqs-preview">
          {filled.length === 0 && <li class="apps-note">Type a scope value to see it.</li>}
          {filled.map((v, i) => (
            <li key={i}>
              <code class="apps-code apps-fqs">{fullyQualifiedScope(audience, v)}</code>
            </li>
          ))}
        </ul>
      </section>
      <Field
        label={EXPIRY_LABEL}
        hint={EXPIRY_HINT}
        placeholder="3600"
        value={expiry}
        onInput={setExpiry}
      />
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {e0 === undefined ? 'Create resource app' : 'Save settings'}
        </Button>
        <Button onClick={props.onCancel}>Cancel</Button>
      </div>
    </form>
  );
}
