// The Dashboard (/console/): the active signing key, certificates expiring within 30 days (or
// expired), inactive apps, and the token endpoint's refusals by reason over the last 24 hours.
import { api, apiList } from '../api';
import { Badge, DataTable, ErrorNotice, Link, Loading, Page, formatTime, useAsync } from '../ui';
import {
  EXPIRY_WINDOW_DAYS,
  activeKey,
  auditLinkFor,
  barClass,
  daysLeftText,
  expiringCertificates,
  inactiveApps,
} from './dashboard-data';
import type { App, Certificate, FailureReason, SigningKey, TokenFailureSummary } from './dashboard-data';
import './dashboard.css';

function SigningKeyCard() {
  const keys = useAsync(() => apiList<SigningKey>('/admin/v1/SigningKeys'), []);
  const key = keys.data ? activeKey(keys.data) : undefined;
  return (
    <section class="card dash-card" aria-labelledby="dash-key">
      <h2 id="dash-key">Signing key</h2>
      <ErrorNotice error={keys.error} />
      {keys.loading && !keys.data ? <Loading /> : null}
      {keys.data && !key ? <p class="dash-empty">No active signing key.</p> : null}
      {key ? (
        <dl class="dash-key">
          <dt>Key ID</dt>
          <dd class="mono">{key.kid}</dd>
          <dt>Algorithm</dt>
          <dd>{key.alg}</dd>
          <dt>Active since</dt>
          <dd>{formatTime(key.createdAt)}</dd>
        </dl>
      ) : null}
      <Link href="/console/keys">Manage signing keys</Link>
    </section>
  );
}

function CertificatesCard() {
  const certs = useAsync(
    () =>
      Promise.all([
        apiList<Certificate>('/admin/v1/OAuthClientCertificates'),
        apiList<Certificate>('/admin/v1/OAuthPartnerCertificates'),
      ]),
    [],
  );
  const now = Math.floor(Date.now() / 1000);
  const soon = certs.data ? expiringCertificates(certs.data[0], certs.data[1], now) : [];
  return (
    <section class="card dash-card" aria-labelledby="dash-certs">
      <h2 id="dash-certs">Certificates expiring soon</h2>
      <ErrorNotice error={certs.error} />
      {certs.loading && !certs.data ? <Loading /> : null}
      {certs.data && soon.length === 0 ? (
        <p class="dash-empty">No certificate expires within {EXPIRY_WINDOW_DAYS} days.</p>
      ) : null}
      {soon.length > 0 ? (
        <ul class="dash-list" aria-label="Certificates expiring within 30 days or expired">
          {soon.map((c) => (
            <li key={`${c.kind}:${c.alias}`}>
              <span>
                <span class="mono">{c.alias}</span> ({c.kind})
              </span>
              <Badge tone={c.daysLeft < 0 ? 'bad' : 'warn'}>{daysLeftText(c.daysLeft)}</Badge>
            </li>
          ))}
        </ul>
      ) : null}
      <Link href="/console/certificates">Manage certificates</Link>
    </section>
  );
}

function InactiveAppsCard() {
  const apps = useAsync(() => apiList<App>('/admin/v1/Apps?count=1000'), []);
  const inactive = apps.data ? inactiveApps(apps.data) : [];
  return (
    <section class="card dash-card" aria-labelledby="dash-apps">
      <h2 id="dash-apps">Inactive apps</h2>
      <ErrorNotice error={apps.error} />
      {apps.loading && !apps.data ? <Loading /> : null}
      {apps.data && inactive.length === 0 ? <p class="dash-empty">Every app is active.</p> : null}
      {inactive.length > 0 ? (
        <ul class="dash-list" aria-label="Inactive apps">
          {inactive.map((a) => (
            <li key={a.id}>
              <span>{a.displayName}</span>
              <span class="mono">{a.name ?? (a.isOAuthResource ? 'resource app' : '')}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <Link href="/console/apps">Manage applications</Link>
    </section>
  );
}

function FailuresSection() {
  const summary = useAsync(() => api<TokenFailureSummary>('GET', '/admin/v1/TokenFailureSummary'), []);
  const s = summary.data;
  const max = s ? Math.max(0, ...s.reasons.map((r) => r.count)) : 0;
  return (
    <section aria-labelledby="dash-failures">
      <h2 id="dash-failures">Token failures in the last 24 hours</h2>
      <ErrorNotice error={summary.error} />
      {summary.loading && !s ? <Loading /> : null}
      {s ? (
        <p>
          {s.total === 0
            ? 'No token failures in the last 24 hours.'
            : `${s.total} refused token request${s.total === 1 ? '' : 's'} from ${formatTime(s.since)} to ${formatTime(s.until)}.`}
        </p>
      ) : null}
      {s && s.reasons.length > 0 ? (
        <DataTable<FailureReason>
          caption="Token failures by reason"
          hideCaption
          rows={s.reasons}
          rowKey={(r) => r.reason}
          columns={[
            {
              header: 'Reason',
              render: (r) => (
                <Link href={auditLinkFor(r.reason)} class="mono">
                  {r.reason}
                </Link>
              ),
            },
            { header: 'Count', class: 'num', render: (r) => r.count },
            {
              header: 'Share',
              render: (r) => (
                <span class="failure-bar" aria-hidden="true">
                  <span class={barClass(r.count, max)} />
                </span>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}

export default function Dashboard() {
  return (
    <Page title="Dashboard">
      <div class="dash-grid">
        <SigningKeyCard />
        <CertificatesCard />
        <InactiveAppsCard />
      </div>
      <FailuresSection />
    </Page>
  );
}
