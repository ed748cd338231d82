// The console's shared pieces. Screens build on these so that every page has one h1, every
// control a visible label, and no inline style (the CSP allows style sheets from 'self' only:
// classes, never `style=`).
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { isPlainClick, navigate } from './router';

export { navigate, useLocation } from './router';

// One screen: its h1 (the only one), the document title, and the content.
export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ComponentChildren;
  children?: ComponentChildren;
}) {
  useEffect(() => {
    document.title = `${title} · Tessera console`;
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{title}</h1>
        {actions ? <div class="page-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

// A failed request or action, announced to screen readers. Nothing when `error` is empty.
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === null || error === undefined || error === false) return null;
  let text: string;
  if (error instanceof ApiError) text = error.detail;
  else if (error instanceof Error) text = error.message;
  else text = String(error);
  return (
    <div class="notice notice-bad" role="alert">
      {text}
    </div>
  );
}

// A short confirmation (role=status: read out without moving the focus).
export function Notice({ children }: { children?: ComponentChildren }) {
  if (children === null || children === undefined || children === false) return null;
  return (
    <div class="notice notice-ok" role="status">
      {children}
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'muted';

export function Badge({ tone, children }: { tone: Tone; children?: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export interface Column<T> {
  // The column heading (a <th scope="col">).
  header: string;
  // The cell's content for one row.
  render: (row: T) => ComponentChildren;
  // An extra class for the column's cells ("num" right-aligns numbers).
  class?: string;
}

// A table with a caption (visually hidden when `hideCaption`), headings, and a line for no rows.
// It scrolls sideways inside its own box on a narrow window rather than widening the page.
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty = 'Nothing here yet.',
  hideCaption = false,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty?: string;
  hideCaption?: boolean;
}) {
  return (
    <div class="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table class="data-table">
        <caption class={hideCaption ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.class} key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => (
                  <td class={c.class} key={c.header}>
                    {c.render(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

interface FieldCommon {
  label: string;
  value: string;
  onInput: (value: string) => void;
  name?: string;
  hint?: string;
  required?: boolean;
  disabled?: boolean;
  autoComplete?: string;
  placeholder?: string;
  id?: string;
  error?: string;
}

// A labelled control: an <input> (default), a <textarea> (`multiline`), or a <select>
// (`options`). The hint and error are tied to it with aria-describedby.
export function Field(
  props: FieldCommon & {
    type?: string;
    multiline?: boolean;
    rows?: number;
    options?: { value: string; label: string }[];
    spellcheck?: boolean;
    mono?: boolean;
  },
) {
  const autoId = useId();
  const id = props.id ?? `f${autoId.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const onInput = (e: JSX.TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    props.onInput(e.currentTarget.value);
  const common = {
    id,
    name: props.name,
    required: props.required,
    disabled: props.disabled,
    'aria-describedby': describedBy,
    'aria-invalid': props.error ? true : undefined,
    class: props.mono ? 'mono' : undefined,
  };
  let control: JSX.Element;
  if (props.options) {
    control = (
      <select {...common} value={props.value} onChange={onInput}>
        {props.options.map((o) => (
          <option value={o.value} key={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if (props.multiline) {
    control = (
      <textarea
        {...common}
        value={props.value}
        onInput={onInput}
        rows={props.rows ?? 6}
        placeholder={props.placeholder}
        spellcheck={props.spellcheck ?? false}
      />
    );
  } else {
    control = (
      <input
        {...common}
        type={props.type ?? 'text'}
        value={props.value}
        onInput={onInput}
        autoComplete={props.autoComplete}
        placeholder={props.placeholder}
        spellcheck={props.spellcheck}
      />
    );
  }
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {control}
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

// A labelled checkbox.
export function Checkbox({
  label,
  checked,
  onChange,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}) {
  const autoId = useId();
  const id = `c${autoId.replace(/[^A-Za-z0-9_-]/g, '')}`;
  return (
    <div class="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
    </div>
  );
}

export function Button({
  children,
  onClick,
  type = 'button',
  variant = 'secondary',
  disabled,
  busy,
  ...rest
}: {
  children?: ComponentChildren;
  onClick?: (e: MouseEvent) => void;
  type?: 'button' | 'submit' | 'reset';
  variant?: 'primary' | 'secondary' | 'danger' | 'link';
  disabled?: boolean;
  // A request is under way: the button is disabled and says so to screen readers.
  busy?: boolean;
  'aria-label'?: string;
  'aria-expanded'?: boolean;
  'aria-controls'?: string;
  class?: string;
}) {
  const { class: extra, ...aria } = rest;
  return (
    <button
      type={type}
      class={`btn btn-${variant}${extra ? ` ${extra}` : ''}`}
      onClick={onClick}
      disabled={disabled || busy}
      aria-busy={busy ? true : undefined}
      {...aria}
    >
      {children}
    </button>
  );
}

// A link inside the console: followed by the router without a reload; a modified click (new
// tab) is left to the browser.
export function Link({
  href,
  children,
  class: cls,
  current,
}: {
  href: string;
  children?: ComponentChildren;
  class?: string;
  current?: boolean;
}) {
  return (
    <a
      href={href}
      class={cls}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (!isPlainClick(e)) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

// A time for people: "2026-12-07 00:35:12 UTC". `t` is seconds since the epoch (a JWT
// NumericDate) or an RFC 3339 text as the admin API writes it; "—" when absent or unreadable.
export function formatTime(t: number | string | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  // Runs the request again (after a change), keeping the old data shown meanwhile.
  reload: () => void;
}

// Runs `fn` when `deps` change and holds its outcome; an answer that arrives after a newer
// request started (or after unmounting) is dropped.
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    fn().then(
      (value) => {
        if (generation.current !== mine) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (generation.current !== mine) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      generation.current++;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

// "Loading…" for a region being fetched (role=status).
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}
