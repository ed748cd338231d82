// The Assertion Lab (/console/lab): paste an assertion and see every rule of the token endpoint
// pass or fail, with the reason and the fix, as POST /admin/v1/AssertionChecks answers; nothing
// is consumed. Generate mode (lab-generate.tsx) makes a key pair, a certificate and a test
// assertion in the browser. The reference of the rules below carries the anchors
// #rule-<number> the Audit screen links to.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { decodeJwt, TIME_CLAIMS, type JsonObject } from '../lib/jws';
import { Badge, Button, ErrorNotice, Field, formatTime, Page, useLocation } from '../ui';
import Generate from './lab-generate';
import { RULES } from './lab-rules';
import './lab.css';

// One entry of the check's answer (src/oauth/assertion_checks.h).
export interface RuleReport {
  rule: number;
  name: string;
  result: 'pass' | 'fail' | 'not_checked';
  passed: boolean;
  detail?: string;
  reason?: string;
  fix?: string;
}

export interface CheckReport {
  clientId: string;
  passed: boolean;
  rules: RuleReport[];
  outsideToken?: boolean;
  trust?: { id: string; name: string } | null;
}

const RESULT_TEXT: Record<RuleReport['result'], string> = {
  pass: 'Pass',
  fail: 'Fail',
  not_checked: 'Not checked',
};

function Report({ report }: { report: CheckReport }) {
  const failed = report.rules.filter((r) => r.result === 'fail').length;
  return (
    <div class="lab-report" aria-live="polite">
      <p class={`lab-verdict ${report.passed ? 'lab-verdict-pass' : 'lab-verdict-fail'}`} id="lab-verdict">
        {report.passed
          ? `Passed: every rule holds for client ${report.clientId}. The token endpoint would accept this assertion.`
          : `Failed: ${failed} ${failed === 1 ? 'rule fails' : 'rules fail'} for client ${report.clientId}. The token endpoint would refuse this assertion.`}
      </p>
      {report.trust ? (
        <p>
          Judged as an outside token of trust {report.trust.name} ({report.trust.id}).
        </p>
      ) : null}
      <ol class="lab-rules" aria-label="Rules in the order the server checks them">
        {report.rules.map((r, i) => (
          <li
            key={`${r.rule}-${r.name}-${i}`}
            class={`lab-rule lab-rule-${r.result}`}
            data-rule={r.rule}
            data-name={r.name}
            data-result={r.result}
          >
            <div class="lab-rule-head">
              <Badge tone={r.result === 'pass' ? 'ok' : r.result === 'fail' ? 'bad' : 'muted'}>
                {RESULT_TEXT[r.result]}
              </Badge>{' '}
              <span class="lab-rule-title">
                <a href={`#rule-${r.rule}`}>Rule {r.rule}</a>: {r.name}
              </span>
            </div>
            {r.detail ? <p class="lab-rule-detail">{r.detail}</p> : null}
            {r.result === 'fail' ? (
              <dl class="lab-rule-fail">
                {r.reason ? (
                  <>
                    <dt>Reason</dt>
                    <dd>
                      <code>{r.reason}</code>
                    </dd>
                  </>
                ) : null}
                {r.fix ? (
                  <>
                    <dt>Fix</dt>
                    <dd class="lab-fix">{r.fix}</dd>
                  </>
                ) : null}
              </dl>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

function timeText(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'not a number of seconds';
  return formatTime(v);
}

// What the pasted token says, decoded here for display only: the server alone judges it.
function Decoded({ token }: { token: string }) {
  const decoded = useMemo(() => decodeJwt(token), [token]);
  if (token.trim() === '') return <p>Paste an assertion above to see its header and claims.</p>;
  if (!decoded.ok) {
    return (
      <p class="lab-decode-problem" id="lab-decode-problem">
        Cannot decode: {decoded.problem}.
      </p>
    );
  }
  const claims: JsonObject = decoded.claims;
  const times = TIME_CLAIMS.filter((c) => c in claims);
  return (
    <div class="lab-decoded">
      <div class="lab-decoded-part">
        <h3>Header</h3>
        <pre id="lab-header" tabIndex={0} aria-label="Decoded header">
          {JSON.stringify(decoded.header, null, 2)}
        </pre>
      </div>
      <div class="lab-decoded-part">
        <h3>Claims</h3>
        <pre id="lab-claims" tabIndex={0} aria-label="Decoded claims">
          {JSON.stringify(claims, null, 2)}
        </pre>
        {times.length > 0 ? (
          <dl class="lab-times" id="lab-times">
            {times.map((c) => (
              <div key={c} class="lab-time">
                <dt>
                  <code>{c}</code>
                </dt>
                <dd>{timeText(claims[c])}</dd>
              </div>
            ))}
          </dl>
        ) : null}
      </div>
    </div>
  );
}

// The rule the URL's fragment names (#rule-<n>): scrolled to and focused, once the screen (and
// the layout's own focus move on navigation) has settled.
function useRuleTarget(): void {
  // Re-rendered by the router's navigations and by in-page links (hashchange).
  const location = useLocation();
  const [, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onHash = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const current = window.location.hash;
  useEffect(() => {
    if (!/^#rule-\d+$/.test(current)) return;
    const timer = window.setTimeout(() => {
      const target = document.getElementById(current.slice(1));
      if (!target) return;
      target.scrollIntoView({ block: 'start' });
      target.focus();
    }, 0);
    return () => window.clearTimeout(timer);
  }, [current, location.path]);
}

export default function Lab() {
  const [assertion, setAssertion] = useState('');
  const [clientId, setClientId] = useState('');
  const [scope, setScope] = useState('');
  const [report, setReport] = useState<CheckReport | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  // How many checks were answered: a new answer is a new result, even when it reads the same.
  const [answered, setAnswered] = useState(0);
  useRuleTarget();

  async function check(token: string, client: string, scopeText: string): Promise<void> {
    setBusy(true);
    setError(undefined);
    setReport(undefined);
    try {
      const body: Record<string, string> = { assertion: token, clientId: client };
      if (scopeText.trim() !== '') body.scope = scopeText.trim();
      setReport(await api<CheckReport>('POST', '/admin/v1/AssertionChecks', body));
      setAnswered((n) => n + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const onSubmit = (e: JSX.TargetedEvent<HTMLFormElement>) => {
    e.preventDefault();
    void check(assertion, clientId.trim(), scope);
  };

  // Generate mode hands over its signed assertion: shown in the form, then checked.
  const onGenerated = (token: string, client: string) => {
    setAssertion(token);
    setClientId(client);
    void check(token, client, scope);
  };

  return (
    <Page title="Assertion Lab">
      <p class="lab-intro">
        Check a user assertion (RFC 7523) against every rule of the token endpoint, in the
        server's order, with the reason and the fix for each rule that fails.{' '}
        <strong>Nothing is consumed:</strong> a check never uses up the assertion's jti and
        issues no token, so a passing assertion still works at the token endpoint afterwards.
      </p>

      <section class="card lab-section" aria-labelledby="lab-check-title">
        <h2 id="lab-check-title">Check an assertion</h2>
        <form onSubmit={onSubmit} class="lab-form">
          <Field
            id="lab-assertion"
            label="Assertion"
            multiline
            rows={6}
            mono
            spellcheck={false}
            value={assertion}
            onInput={setAssertion}
            required
            hint="The signed JWT (header.payload.signature), as sent in the token request's assertion parameter."
          />
          <Field
            id="lab-client-id"
            label="Client ID"
            value={clientId}
            onInput={setClientId}
            required
            autoComplete="off"
            hint="The client id (the app's name) that would send the token request."
          />
          <Field
            id="lab-scope"
            label="Scope"
            value={scope}
            onInput={setScope}
            autoComplete="off"
            hint="Optional: the scope the token request would ask for (fully qualified, space-separated)."
          />
          <div class="form-actions">
            <Button type="submit" variant="primary" busy={busy}>
              Check
            </Button>
          </div>
        </form>
        <ErrorNotice error={error} />
      </section>

      {report ? (
        <section
          class="card lab-section"
          aria-labelledby="lab-result-title"
          id="lab-result"
          data-check={answered}
        >
          <h2 id="lab-result-title">Result</h2>
          <Report report={report} />
        </section>
      ) : null}

      <section class="card lab-section" aria-labelledby="lab-decoded-title">
        <h2 id="lab-decoded-title">Decoded assertion</h2>
        <p class="hint">
          Decoded in the browser for reading only; nothing here is verified or trusted.
        </p>
        <Decoded token={assertion} />
      </section>

      <Generate onGenerated={onGenerated} />

      <section class="card lab-section" aria-labelledby="lab-reference-title">
        <h2 id="lab-reference-title">The rules</h2>
        <p>
          Every rule the check reports, by number. The names are those of the entries in a
          check's answer.
        </p>
        <ul class="lab-reference">
          {RULES.map((r) => (
            <li key={r.rule} id={`rule-${r.rule}`} tabIndex={-1} class="lab-reference-rule">
              <h3>
                Rule {r.rule}: {r.title}
              </h3>
              <p class="lab-reference-names">
                Reported as:{' '}
                {r.names.map((n, i) => (
                  <span key={n}>
                    {i > 0 ? ', ' : ''}
                    <code>{n}</code>
                  </span>
                ))}
              </p>
              <p>{r.checks}</p>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
