// Audit (/console/audit): the audit trail, filtered by client, outcome, reason code and time;
// the filters live in the URL query, so a link (e.g. from the Dashboard) opens a filtered view.
// A refused token request whose reason belongs to an assertion rule links to that rule in the
// Assertion Lab. Paging goes back in time: the next page ends at the last event's second.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { ListResponse } from '../api';
import {
  Badge,
  Button,
  DataTable,
  ErrorNotice,
  Field,
  Link,
  Loading,
  Page,
  formatTime,
  navigate,
  useAsync,
  useLocation,
} from '../ui';
import type { Tone } from '../ui';
import {
  COUNTS,
  apiPathOf,
  epochOfLocal,
  filtersFrom,
  localOfEpoch,
  queryOf,
  splitReason,
} from './audit-query';
import type { AuditFilters } from './audit-query';
import './audit.css';

interface AuditEvent {
  id: number;
  time: string;
  timestamp: number;
  ecid: string;
  clientId: string;
  subject: string;
  grant: string;
  outcome: string;
  reason: string;
  rule?: number;
}

const PATH = '/console/audit';

function outcomeTone(outcome: string): Tone {
  if (outcome === 'issued') return 'ok';
  if (outcome === 'rejected') return 'bad';
  return 'muted';
}

function Reason({ event }: { event: AuditEvent }) {
  if (event.reason === '') return <span>—</span>;
  const { code, detail } = splitReason(event.reason);
  if (event.outcome !== 'rejected') return <span class="reason-cell">{event.reason}</span>;
  return (
    <span class="reason-cell">
      {event.rule !== undefined ? (
        <a
          href={`/console/lab#rule-${event.rule}`}
          class="mono"
          title={`Rule ${event.rule} in the Assertion Lab`}
        >
          {code}
        </a>
      ) : (
        <span class="mono">{code}</span>
      )}
      {detail ? <span class="detail">{detail}</span> : null}
    </span>
  );
}

// A time filter: a datetime-local input, read as UTC, over the query's epoch seconds.
function TimeField(props: { label: string; name: string; epoch: string; onInput: (epoch: string) => void }) {
  return (
    <Field
      label={props.label}
      name={props.name}
      type="datetime-local"
      value={localOfEpoch(props.epoch)}
      onInput={(v) => props.onInput(epochOfLocal(v))}
    />
  );
}

function FilterForm({ applied }: { applied: AuditFilters }) {
  const [f, setF] = useState<AuditFilters>(applied);
  // A navigation (back, a link) changes the applied filters: the form follows.
  useEffect(() => setF(applied), [queryOf(applied)]);
  const set = (k: keyof AuditFilters) => (v: string) => setF((old) => ({ ...old, [k]: v }));
  const outcomes = ['', 'issued', 'rejected'];
  if (f.outcome !== '' && !outcomes.includes(f.outcome)) outcomes.push(f.outcome);
  return (
    <form
      class="card"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(PATH + queryOf(f));
      }}
    >
      <div class="audit-filters">
        <Field label="Client ID" name="clientId" value={f.clientId} onInput={set('clientId')} autoComplete="off" />
        <Field
          label="Outcome"
          name="outcome"
          value={f.outcome}
          onInput={set('outcome')}
          options={outcomes.map((o) => ({ value: o, label: o === '' ? 'Any' : o }))}
        />
        <Field
          label="Reason code"
          name="reason"
          value={f.reason}
          onInput={set('reason')}
          placeholder="assertion_expired"
          autoComplete="off"
          mono
        />
        <TimeField label="From (UTC)" name="from" epoch={f.since} onInput={set('since')} />
        <TimeField label="To (UTC)" name="to" epoch={f.until} onInput={set('until')} />
        <Field
          label="Events per page"
          name="count"
          value={f.count}
          onInput={set('count')}
          options={COUNTS.map((c) => ({ value: c, label: c }))}
        />
      </div>
      <div class="form-actions">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button onClick={() => navigate(PATH)}>Clear filters</Button>
      </div>
    </form>
  );
}

export default function Audit() {
  const { search } = useLocation();
  const applied = filtersFrom(search);
  const path = apiPathOf(applied);
  const events = useAsync(() => api<ListResponse<AuditEvent>>('GET', path), [path]);
  const rows = events.data?.Resources ?? [];
  const total = events.data?.totalResults ?? 0;
  const last = rows.length > 0 ? rows[rows.length - 1] : undefined;
  // The next page ends at the last event's second: the API's `until` is inclusive, so events of
  // that second may show again rather than be skipped. A page that is all one second would come
  // back unchanged, so it goes on from the second before.
  let older: string | undefined;
  if (last && total > rows.length) {
    const until = rows[0].timestamp === last.timestamp ? last.timestamp - 1 : last.timestamp;
    older = PATH + queryOf({ ...applied, until: String(until) });
  }
  return (
    <Page title="Audit">
      <FilterForm applied={applied} />
      <ErrorNotice error={events.error} />
      {events.loading && !events.data ? <Loading /> : null}
      {events.data ? (
        <>
          <div class="audit-paging">
            <p role="status">
              {total === 0
                ? 'No events match these filters.'
                : `Showing ${rows.length} of ${total} matching event${total === 1 ? '' : 's'}, newest first.`}
            </p>
            {applied.until !== '' ? (
              <Link href={PATH + queryOf({ ...applied, until: '' })}>Newest events</Link>
            ) : null}
            {older ? <Link href={older}>Older events</Link> : null}
          </div>
          <div class="audit-events">
            <DataTable<AuditEvent>
              caption="Audit events"
              hideCaption
              rows={rows}
              rowKey={(e) => String(e.id)}
              empty="No events match these filters."
              columns={[
                { header: 'Time', render: (e) => <span class="nowrap">{formatTime(e.timestamp)}</span> },
                { header: 'Client', render: (e) => <span class="mono wrap-anywhere">{e.clientId || '—'}</span> },
                { header: 'Subject', render: (e) => e.subject || '—' },
                { header: 'Grant', render: (e) => <span class="mono wrap-anywhere">{e.grant || '—'}</span> },
                { header: 'Outcome', render: (e) => <Badge tone={outcomeTone(e.outcome)}>{e.outcome}</Badge> },
                { header: 'Reason', render: (e) => <Reason event={e} /> },
              ]}
            />
          </div>
        </>
      ) : null}
    </Page>
  );
}
