/** Activity log: simple filters + the filter builder, all in the URL; pivots from cells; CSV/NDJSON export links. */
import { Fragment, useState } from 'react';
import { qs } from '../api.ts';
import { Link, navigate, useQueryState } from '../router.tsx';
import { Async, DbIpAttribution, Empty, ErrorBox, Time, useApi, usePaging } from '../ui.tsx';
import { clean, FilterBuilder, type Condition } from './filter-builder.tsx';

const SIMPLE = ['user', 'ip', 'action', 'category', 'outcome', 'app', 'from', 'to', 'text'] as const;

function parseFilters(s: string | null): { list: Condition[]; error: string | null } {
  if (!s) return { list: [], error: null };
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) ? { list: v, error: null } : { list: [], error: 'filters in the URL are not a list' };
  } catch {
    return { list: [], error: 'filters in the URL are not valid JSON' };
  }
}

export function ActivitiesPage() {
  const [q, setQ] = useQueryState();
  const simple = Object.fromEntries(SIMPLE.map((k) => [k, q.get(k) ?? ''])) as Record<(typeof SIMPLE)[number], string>;
  const parsed = parseFilters(q.get('filters'));
  // Builder edits not applied yet belong to the filters they started from: a pivot, Clear or back drops them.
  const [draft, setDraft] = useState<{ of: string; list: Condition[] } | null>(null);
  const conditions = draft && draft.of === q.toString() ? draft.list : parsed.list;
  const [open, setOpen] = useState<string | null>(null);
  const params = { ...simple, filters: parsed.list.length ? JSON.stringify(parsed.list) : null };
  const list = qs('/api/activities', { ...params, limit: 100 });
  // Any change of the filters (Apply, a pivot, narrowing, Clear, back / forward) starts at the first page.
  const [cursor, setCursor] = usePaging(list);
  const r = useApi<{ items: any[]; next: string | null; scanned: number | null }>(cursor ? `${list}&cursor=${encodeURIComponent(cursor)}` : list);
  // A pivot replaces the filters with one pivot value; a cell click keeps the others (Shift-click style "add").
  const pivot = (patch: Record<string, string>) => navigate(qs('/activities', { ...patch }));
  const narrow = (patch: Record<string, string>) => setQ(patch);
  const when = (iso: string) => {
    const t = Date.parse(iso);
    return { from: new Date(t - 86_400_000).toISOString(), to: new Date(t + 86_400_000).toISOString() };
  };

  return (
    <section>
      <h1>Activity log</h1>
      <form
        className="filters"
        role="search"
        aria-label="Activity filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setCursor(null);
          setQ({ ...Object.fromEntries(SIMPLE.map((k) => [k, String(f.get(k) ?? '')])), filters: conditions.length ? JSON.stringify(clean(conditions)) : null });
          setDraft(null);
        }}
        key={q.toString()}
      >
        {SIMPLE.map((k) => (
          <label key={k}>
            {k}
            <input type={k === 'text' ? 'search' : 'text'} name={k} defaultValue={simple[k]} placeholder={k === 'from' || k === 'to' ? 'ISO time' : ''} />
          </label>
        ))}
        <FilterBuilder value={conditions} onChange={(c) => setDraft({ of: q.toString(), list: c })} />
        <div className="row">
          <button className="primary" type="submit">
            Apply
          </button>
          <button type="button" onClick={() => (setDraft(null), setCursor(null), navigate('/activities'))}>
            Clear
          </button>
          <a className="button" href={qs('/api/activities/export', { ...params, format: 'csv' })} download>
            Export CSV
          </a>
          <a className="button" href={qs('/api/activities/export', { ...params, format: 'ndjson' })} download>
            Export NDJSON
          </a>
        </div>
      </form>
      {parsed.error && <ErrorBox error={{ message: parsed.error }} />}
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No activity matches{d.next ? ' on this page (filters examine at most 100,000 rows per call: keep paging)' : ''}.</Empty>
          ) : (
            <>
              <table className="grid" aria-label="Activities">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>User</th>
                    <th>Action</th>
                    <th>Outcome</th>
                    <th>IP</th>
                    <th>Location</th>
                    <th>ISP / category</th>
                    <th>Device</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((a) => {
                    const user = a.actor.email ?? a.actor.id ?? '';
                    return (
                      <Fragment key={a.id}>
                      <tr data-activity-id={a.id}>
                        <td>
                          <button className="cell" title="activities within 24 h around this one" onClick={() => pivot(when(a.time))}>
                            <Time iso={a.time} />
                          </button>
                        </td>
                        <td>
                          <button className="cell" data-pivot="user" title="only this user" onClick={() => narrow({ user })}>
                            {user}
                          </button>{' '}
                          <Link className="small" to={`/users/${encodeURIComponent(user)}`} aria-label={`User page of ${user}`}>
                            ↗
                          </Link>
                        </td>
                        <td>
                          <button className="cell" data-pivot="action" onClick={() => narrow({ action: a.action })}>
                            {a.action}
                          </button>
                          <div className="muted small">{a.category}</div>
                        </td>
                        <td>
                          <button className="cell" onClick={() => narrow({ outcome: a.outcome })}>
                            {a.outcome}
                          </button>
                        </td>
                        <td>
                          {a.ip && (
                            <button className="cell" data-pivot="ip" title="only this IP" onClick={() => pivot({ ip: a.ip })}>
                              {a.ip}
                            </button>
                          )}
                        </td>
                        <td>
                          {a.geo?.country && (
                            <button className="cell" data-pivot="country" onClick={() => pivot({ filters: JSON.stringify([{ field: 'geo.country', op: 'eq', value: a.geo.country }]) })}>
                              {[a.geo.city, a.geo.country].filter(Boolean).join(', ')}
                            </button>
                          )}
                        </td>
                        <td>
                          {a.isp ?? ''} {a.ipCategory ? <span className="badge">{a.ipCategory}</span> : null}
                        </td>
                        <td className="small">
                          {a.device ? [a.device.type, a.device.os, a.device.browser].filter(Boolean).join(' · ') : ''}{' '}
                          <button type="button" className="cell" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? null : a.id)}>
                            {open === a.id ? 'hide' : 'details'}
                          </button>
                        </td>
                      </tr>
                      {open === a.id && (
                        <tr className="detail-row">
                          <td colSpan={8}>
                            <pre data-testid="activity-json">{JSON.stringify({ ...a, raw: undefined }, null, 2)}</pre>
                            {a.raw ? (
                              <details>
                                <summary>Raw event as received</summary>
                                <pre>{JSON.stringify(a.raw, null, 2)}</pre>
                              </details>
                            ) : null}
                          </td>
                        </tr>
                      )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
              <div className="row">
                {cursor && <button onClick={() => setCursor(null)}>First page</button>}
                {d.next && <button onClick={() => setCursor(d.next)}>Next page</button>}
                {d.scanned !== null && <span className="muted">{d.scanned} rows examined</span>}
              </div>
              <DbIpAttribution />
            </>
          )
        }
      </Async>
    </section>
  );
}
