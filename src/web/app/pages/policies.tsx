/** Policies: list, enable/disable, create and edit (validated as you go), backtest with a chart of what it would raise. */
import { useEffect, useRef, useState } from 'react';
import { api, type ApiError } from '../api.ts';
import { can, useMe } from '../session.ts';
import { Link, useQueryState } from '../router.tsx';
import { Async, BarChart, Confirm, Empty, ErrorBox, Sev, useApi } from '../ui.tsx';
import { clean, FilterBuilder, type Condition } from './filter-builder.tsx';

interface Draft {
  name: string;
  description: string;
  enabled: boolean;
  severity: string;
  filters: Condition[];
  actOn: { mode: 'single' } | { mode: 'repeated'; minCount: number; windowSecs: number };
  [k: string]: unknown;
}
const EMPTY: Draft = { name: '', description: '', enabled: false, severity: 'medium', filters: [], actOn: { mode: 'single' } };
/** An issue of POST /api/policies/validate: `path` is dotted, e.g. `filters.0.value` (src/api/routes/policies.ts). */
type Issue = { path?: string; message: string };
/** `filters.0.value` → `condition 1`: the builder's rows are numbered from 1. */
const conditionOf = (path: string | undefined): number | null => {
  const m = /^filters\.(\d+)(\.|$)/.exec(path ?? '');
  return m ? Number(m[1]) : null;
};
const IssueText = ({ i }: { i: Issue }) => {
  const n = conditionOf(i.path);
  return (
    <>
      {i.path ? <code>{i.path}</code> : null} {n !== null ? <strong>condition {n + 1}:</strong> : null} {i.message}
    </>
  );
};

/** One bar per day of the backtest's range, days without a match included (the report lists only days with some). */
function everyDay(report: { from: string; to: string; perDay: { day: string; alerts: number }[] }) {
  const byDay = new Map(report.perDay.map((d) => [d.day, d.alerts]));
  const out: { label: string; values: Record<string, number> }[] = [];
  const end = Date.parse(report.to.slice(0, 10));
  for (let t = Date.parse(report.from.slice(0, 10)); t <= end && out.length < 400; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ label: day, values: { alerts: byDay.get(day) ?? 0 } });
  }
  return out;
}

function Backtest({ report }: { report: any }) {
  return (
    <div className="card" data-testid="backtest">
      <h3>Backtest</h3>
      <p>
        Over {report.scanned} stored activities ({report.from.slice(0, 10)} to {report.to.slice(0, 10)}): <strong data-testid="backtest-matches">{report.matches}</strong> matches,{' '}
        <strong>{report.alerts}</strong> alerts it would have raised.
      </p>
      <BarChart buckets={everyDay(report)} keys={['alerts']} label="Alerts it would have raised per day" />
      {report.samples.length > 0 && (
        <details>
          <summary>{report.samples.length} sample matches</summary>
          <pre>{JSON.stringify(report.samples.slice(0, 5), null, 2)}</pre>
        </details>
      )}
    </div>
  );
}

function Editor({ initial, isNew, onSaved, onCancel }: { initial: Draft; isNew: boolean; onSaved: () => void; onCancel: () => void }) {
  const [d, setD] = useState<Draft>(initial);
  const [issues, setIssues] = useState<{ errors: Issue[]; warnings: Issue[] }>({ errors: [], warnings: [] });
  const [error, setError] = useState<ApiError | null>(null);
  const [report, setReport] = useState<any>(null);
  const [busy, setBusy] = useState(false);
  const body = () => ({ ...d, filters: clean(d.filters) });
  // Validate as the author types (debounced): errors and lint warnings without saving.
  // Answers can arrive out of order: only the latest request's answer is shown.
  const seq = useRef(0);
  useEffect(() => {
    const t = setTimeout(() => {
      if (!d.name) return;
      const mine = ++seq.current;
      api<{ errors: Issue[]; warnings: Issue[] }>('POST', '/api/policies/validate', { policy: body() }).then(
        (v) => mine === seq.current && setIssues({ errors: v.errors, warnings: v.warnings }),
        (e: ApiError) => mine === seq.current && setIssues({ errors: [{ message: e.message }], warnings: [] }),
      );
    }, 300);
    return () => clearTimeout(t);
  }, [JSON.stringify(d)]);
  const save = async () => {
    setError(null);
    try {
      if (isNew) await api('POST', '/api/policies', body());
      else await api('PUT', `/api/policies/${encodeURIComponent(d.name)}`, body());
      onSaved();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const backtest = async () => {
    setBusy(true);
    setError(null);
    try {
      setReport(await api('POST', '/api/policies/backtest', { policy: body(), sinceDays: 30 }));
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const repeated = d.actOn.mode === 'repeated';
  return (
    <form className="card editor" aria-label="Policy editor" onSubmit={(e) => (e.preventDefault(), void save())}>
      <h2>{isNew ? 'New policy' : `Edit ${d.name}`}</h2>
      <div className="filters">
        <label>
          Name
          <input name="name" type="text" value={d.name} disabled={!isNew} onChange={(e) => setD({ ...d, name: e.target.value })} required />
        </label>
        <label>
          Severity
          <select name="severity" value={d.severity} onChange={(e) => setD({ ...d, severity: e.target.value })}>
            {['informational', 'low', 'medium', 'high'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input name="enabled" type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} /> enabled
        </label>
        <label className="inline">
          <input type="checkbox" checked={repeated} onChange={(e) => setD({ ...d, actOn: e.target.checked ? { mode: 'repeated', minCount: 5, windowSecs: 3600 } : { mode: 'single' } })} /> repeated activity
        </label>
        {d.actOn.mode === 'repeated' && (
          <>
            <label>
              at least
              <input type="number" min={2} value={d.actOn.minCount} onChange={(e) => setD({ ...d, actOn: { ...(d.actOn as any), minCount: Number(e.target.value) } })} />
            </label>
            <label>
              within seconds
              <input type="number" min={1} value={d.actOn.windowSecs} onChange={(e) => setD({ ...d, actOn: { ...(d.actOn as any), windowSecs: Number(e.target.value) } })} />
            </label>
          </>
        )}
      </div>
      <label>
        Description
        <textarea name="description" value={d.description} onChange={(e) => setD({ ...d, description: e.target.value })} rows={2} />
      </label>
      <FilterBuilder
        value={d.filters}
        onChange={(filters) => setD({ ...d, filters })}
        invalid={new Set(issues.errors.map((i) => conditionOf(i.path)).filter((n): n is number => n !== null))}
      />
      {issues.errors.length > 0 && (
        <ul className="state error" role="alert" aria-label="Validation errors">
          {issues.errors.map((i, n) => (
            <li key={n}>
              <IssueText i={i} />
            </li>
          ))}
        </ul>
      )}
      {issues.warnings.length > 0 && (
        <ul className="state warn" aria-label="Warnings">
          {issues.warnings.map((i, n) => (
            <li key={n}>
              <IssueText i={i} />
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
      <div className="row end">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={() => void backtest()} disabled={busy || !d.name}>
          {busy ? 'Backtesting…' : 'Backtest (30 days)'}
        </button>
        <button className="primary" type="submit" disabled={issues.errors.length > 0}>
          Save
        </button>
      </div>
      {report && <Backtest report={report} />}
    </form>
  );
}

export function PoliciesPage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const r = useApi<{ items: any[]; fileIssues: string[] }>('/api/policies');
  const [error, setError] = useState<ApiError | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const editing = q.get('edit');
  const toggle = async (name: string, enabled: boolean) => {
    setError(null);
    try {
      await api('PATCH', `/api/policies/${encodeURIComponent(name)}`, { enabled });
      r.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const del = async () => {
    const name = deleting!;
    setDeleting(null);
    try {
      await api('DELETE', `/api/policies/${encodeURIComponent(name)}`);
      r.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const current = editing && editing !== '_new' ? r.data?.items.find((p) => p.policy.name === editing)?.policy : null;
  return (
    <section>
      <h1>Policies</h1>
      <ErrorBox error={error} />
      {can(me, 'analyst') && !editing && (
        <button className="primary" onClick={() => setQ({ edit: '_new' })}>
          New policy
        </button>
      )}
      {editing && (editing === '_new' || current) && (
        <Editor key={editing} initial={current ?? EMPTY} isNew={editing === '_new'} onSaved={() => (setQ({ edit: null }), r.reload())} onCancel={() => setQ({ edit: null })} />
      )}
      {deleting && <Confirm title={`Delete policy ${deleting}?`} confirmLabel="Delete" danger onConfirm={() => void del()} onCancel={() => setDeleting(null)} />}
      <Async r={r}>
        {(d) => (
          <>
            {d.fileIssues.length > 0 && (
              <ul className="state warn">
                {d.fileIssues.map((i) => (
                  <li key={i}>{i}</li>
                ))}
              </ul>
            )}
            {d.items.length === 0 ? (
              <Empty>No policies yet. Built-in detections run without any.</Empty>
            ) : (
              <table className="grid" aria-label="Policies">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Severity</th>
                    <th>Enabled</th>
                    <th>Source</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((p) => (
                    <tr key={p.policy.name} data-policy={p.policy.name}>
                      <td>
                        <Link to={`/alerts?detection=${encodeURIComponent('policy:' + p.policy.name)}`} title="alerts of this policy">
                          {p.policy.name}
                        </Link>
                        <div className="muted small">{p.policy.description}</div>
                        {p.autoDisabled && <div className="state warn small">disabled automatically: {p.autoDisabled.reason ?? ''}</div>}
                      </td>
                      <td>
                        <Sev s={p.policy.severity} />
                      </td>
                      <td>
                        <label className="inline">
                          <input
                            type="checkbox"
                            aria-label={`Enable ${p.policy.name}`}
                            checked={p.policy.enabled && !p.autoDisabled}
                            disabled={p.source === 'file' || !can(me, 'analyst')}
                            onChange={(e) => void toggle(p.policy.name, e.target.checked)}
                          />{' '}
                          {p.policy.enabled ? 'on' : 'off'}
                        </label>
                      </td>
                      <td>{p.source === 'file' ? `file ${p.file ?? ''}` : 'API'}</td>
                      <td>
                        {p.source === 'api' && can(me, 'analyst') && (
                          <>
                            <button onClick={() => setQ({ edit: p.policy.name })}>Edit</button> <button onClick={() => setDeleting(p.policy.name)}>Delete</button>
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Async>
    </section>
  );
}
