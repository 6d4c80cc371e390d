/** Shared pieces: data loading, states (loading, empty, error), badges, dialogs, small SVG charts. */
import { Component, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, get } from './api.ts';

export function useApi<T = any>(path: string | null): { data: T | null; error: ApiError | null; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    get<T>(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: ApiError) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

export const Loading = ({ what = 'Loading' }: { what?: string }) => (
  <div className="state loading" role="status" aria-live="polite">
    <span className="spinner" aria-hidden="true" /> {what}…
  </div>
);

export const ErrorBox = ({ error }: { error: { message: string; code?: string } | null }) =>
  error ? (
    <div className="state error" role="alert">
      <strong>Error</strong> {error.message}
      {error.code ? <code className="code">{error.code}</code> : null}
    </div>
  ) : null;

export const Empty = ({ children }: { children: ReactNode }) => <div className="state empty">{children}</div>;

/** Loading / error / content in one place. */
export function Async<T>({ r, children }: { r: { data: T | null; error: ApiError | null; loading: boolean }; children: (d: T) => ReactNode }) {
  if (r.error) return <ErrorBox error={r.error} />;
  if (r.data === null) return <Loading />;
  return <>{children(r.data)}</>;
}

export const Sev = ({ s }: { s: string }) => <span className={`badge sev-${s}`}>{s}</span>;
export const Status = ({ s }: { s: string }) => <span className={`badge st-${s}`}>{s.replace(/_/g, ' ')}</span>;

export const fmtTime = (iso: string | null | undefined) => {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
};
export const Time = ({ iso }: { iso: string | null | undefined }) => <time dateTime={iso ?? undefined}>{fmtTime(iso)}</time>;

/**
 * Untrusted text (rejected input, audit details) as plain text: control and bidirectional-override characters
 * become visible `\u….` escapes (so they cannot reorder or hide what is shown), then it is cut to `max` characters.
 * React renders it as a text node, never as HTML.
 */
export function plain(s: string, max: number): { text: string; cut: boolean } {
  const safe = s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return safe.length > max ? { text: `${safe.slice(0, max)}…`, cut: true } : { text: safe, cut: false };
}

/**
 * State that belongs to one list (`list`: its filters, sort and page, e.g. the API path it loads): any change of
 * the list — to another one and even back — resets it to `initial` during that render, so it never carries over
 * to rows it was not chosen on. The setter takes a value or an updater and always applies to the current list.
 */
export function useListState<T>(list: string, initial: T): [T, (v: T | ((prev: T) => T)) => void] {
  const [state, setState] = useState<{ list: string; value: T }>({ list, value: initial });
  let current = state;
  if (state.list !== list) {
    // React's "adjust state while rendering" pattern: re-renders at once with the reset state.
    current = { list, value: initial };
    setState(current);
  }
  const set = useCallback((v: T | ((prev: T) => T)) => setState((s) => ({ list: s.list, value: typeof v === 'function' ? (v as (prev: T) => T)(s.value) : v })), []);
  return [current.value, set];
}

/**
 * The cursor of a keyset-paged list, tied to the list it pages (`list`: the filters and sort, e.g. the API path
 * without the cursor). Any change of the list (an applied filter, a pivot, Clear, back / forward) starts again at
 * the first page: a cursor from another list would silently skip rows.
 */
export function usePaging(list: string): [string | null, (cursor: string | null) => void] {
  return useListState<string | null>(list, null);
}

/**
 * Rows selected for a bulk action in a list that shows `shown` (ids): the selection belongs to the list (`list`:
 * filters, sort and page) and is cleared whenever it changes, and only ids still shown count (a live refresh
 * may drop a selected row), so a bulk action never acts on rows the person no longer sees.
 */
export function useSelection(list: string, shown: readonly string[]) {
  const [picked, setPicked] = useListState<ReadonlySet<string>>(list, EMPTY);
  const ids = shown.filter((id) => picked.has(id));
  const chosen = new Set(ids);
  // Updaters must not mutate (StrictMode runs them twice).
  const toggle = useCallback(
    (id: string) =>
      setPicked((s) => {
        const n = new Set(s);
        if (n.has(id)) n.delete(id);
        else n.add(id);
        return n;
      }),
    [setPicked],
  );
  const setAll = useCallback((all: readonly string[]) => setPicked(new Set(all)), [setPicked]);
  return { ids, has: (id: string) => chosen.has(id), toggle, setAll, clear: useCallback(() => setPicked(EMPTY), [setPicked]) };
}
const EMPTY: ReadonlySet<string> = new Set();

/**
 * Catches what a component throws while rendering, so one broken part shows an error panel (with a reload hint)
 * instead of a blank console. `resetKey`: when it changes (the person navigated), the children are tried again.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string; what?: string }, { error: Error | null; key?: string }> {
  state: { error: Error | null; key?: string } = { error: null, key: this.props.resetKey };
  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
  static getDerivedStateFromProps(props: { resetKey?: string }, state: { error: Error | null; key?: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="state error" role="alert" data-testid="crash">
        <strong>This {this.props.what ?? 'page'} stopped working</strong> <code className="code">{error.message}</code>
        <p>
          Reload the page to try again, or go to another page; if it keeps happening, report the message above.{' '}
          <button type="button" onClick={() => location.reload()}>
            Reload
          </button>
        </p>
      </div>
    );
  }
}

/**
 * What a person is told after POST /api/actions: a failed action is an error with the entry's reason (its error
 * message and code), never a success notice; anything else (succeeded, pending, skipped, awaiting approval...) is a
 * notice with its status and reason.
 */
export function actionOutcome(label: string, entry: { status: string; statusReason?: string | null; error?: { code: string; message: string } | null }): { notice: string | null; error: { message: string; code?: string } | null } {
  if (entry.status === 'failed') {
    const why = entry.error?.message ?? entry.statusReason ?? 'no reason given';
    return { notice: null, error: { message: `${label} failed: ${why}`, code: entry.error?.code } };
  }
  return { notice: `${label}: ${entry.status.replace(/_/g, ' ')}${entry.statusReason ? ` (${entry.statusReason})` : ''}.`, error: null };
}

/** What a page shows when the API would refuse the person's role anyway (no request is made). */
/** Keyset paging controls for a list the API pages with `next` cursors (audit log, rejected input). */
export const CursorNav = ({ cursor, next, onPage }: { cursor: string | null; next: string | null; onPage: (cursor: string | null) => void }) => (
  <>
    {cursor && <button onClick={() => onPage(null)}>First page</button>}
    {next && <button onClick={() => onPage(next)}>Next page</button>}
  </>
);

export const NeedsRole = ({ role, what }: { role: string; what: string }) => <Empty>Only {role}s can see {what}.</Empty>;

export const DbIpAttribution = () => (
  <p className="attribution">
    <a href="https://db-ip.com" rel="noreferrer noopener" target="_blank">
      IP Geolocation by DB-IP
    </a>
  </p>
);

/** A modal confirmation; Escape cancels, focus starts on the confirm button. */
export function Confirm({ title, children, confirmLabel, danger, onConfirm, onCancel }: { title: string; children?: ReactNode; confirmLabel: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const k = (e: KeyboardEvent) => e.key === 'Escape' && onCancel();
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [onCancel]);
  return (
    <div className="modal-back" onClick={onCancel}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} onClick={(e) => e.stopPropagation()}>
        <h2>{title}</h2>
        {children}
        <div className="row end">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" ref={ref} className={danger ? 'danger' : 'primary'} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

const SEV_COLORS: Record<string, string> = { high: 'var(--sev-high)', medium: 'var(--sev-medium)', low: 'var(--sev-low)', informational: 'var(--sev-info)' };

/** Stacked bars (one per bucket), e.g. alerts per day by severity or backtest matches per day. */
export function BarChart({ buckets, keys, label, height = 140 }: { buckets: { label: string; values: Record<string, number> }[]; keys: string[]; label: string; height?: number }) {
  const max = Math.max(1, ...buckets.map((b) => keys.reduce((s, k) => s + (b.values[k] ?? 0), 0)));
  const w = 640;
  const bw = buckets.length ? w / buckets.length : w;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${w} ${height + 20}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1="0" x2={w} y1={height} y2={height} className="axis" />
        {buckets.map((b, i) => {
          let y = height;
          return (
            <g key={i}>
              <title>{`${b.label}: ${keys.map((k) => `${k} ${b.values[k] ?? 0}`).join(', ')}`}</title>
              {keys.map((k) => {
                const h = ((b.values[k] ?? 0) / max) * (height - 4);
                y -= h;
                return h > 0 ? <rect key={k} x={i * bw + 1} y={y} width={Math.max(1, bw - 2)} height={h} fill={SEV_COLORS[k] ?? 'var(--accent)'} /> : null;
              })}
            </g>
          );
        })}
        {buckets.length > 0 && (
          <>
            <text x="0" y={height + 15} className="tick">
              {buckets[0].label}
            </text>
            <text x={w} y={height + 15} className="tick" textAnchor="end">
              {buckets[buckets.length - 1].label}
            </text>
          </>
        )}
      </svg>
      <figcaption>
        {label} (max {max})
        {keys.length > 1 &&
          keys.map((k) => (
            <span key={k} className="legend">
              <i style={{ background: SEV_COLORS[k] ?? 'var(--accent)' }} /> {k}
            </span>
          ))}
      </figcaption>
    </figure>
  );
}

/** A line over time (0..100), e.g. the posture score trend. */
export function LineChart({ points, label, height = 140 }: { points: { label: string; value: number | null }[]; label: string; height?: number }) {
  const w = 640;
  const pts = points.map((p, i) => ({ ...p, x: points.length > 1 ? (i / (points.length - 1)) * (w - 10) + 5 : w / 2 }));
  const y = (v: number) => height - (v / 100) * (height - 10) - 5;
  const d = pts
    .filter((p) => p.value !== null)
    .map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${y(p.value!).toFixed(1)}`)
    .join(' ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${w} ${height + 20}`} role="img" aria-label={label}>
        <line x1="0" x2={w} y1={y(0)} y2={y(0)} className="axis" />
        <line x1="0" x2={w} y1={y(100)} y2={y(100)} className="grid" />
        <path d={d} className="line" />
        {pts.map((p, i) =>
          p.value === null ? null : (
            <circle key={i} cx={p.x} cy={y(p.value)} r="3" className="dot">
              <title>{`${p.label}: ${p.value.toFixed(1)}%`}</title>
            </circle>
          ),
        )}
        {pts.length > 0 && (
          <>
            <text x="0" y={height + 15} className="tick">
              {pts[0].label}
            </text>
            <text x={w} y={height + 15} className="tick" textAnchor="end">
              {pts[pts.length - 1].label}
            </text>
          </>
        )}
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
