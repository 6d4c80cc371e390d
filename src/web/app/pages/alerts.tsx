/** Alerts queue: filters and sort kept in the URL, selection, bulk resolve with a classification, live refresh. */
import { useCallback, useEffect, useState } from 'react';
import { api, qs } from '../api.ts';
import { can, useLive, useMe } from '../session.ts';
import { Link, navigate, useQueryState } from '../router.tsx';
import { Async, Empty, Sev, Status, Time, useApi, useListState, usePaging, useSelection } from '../ui.tsx';
import { ResolveForm, type Resolution } from './triage.tsx';

const PERIODS: Record<string, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export function AlertsPage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const filters = { status: q.get('status') ?? '', severity: q.get('severity') ?? '', detection: q.get('detection') ?? '', user: q.get('user') ?? '' };
  // The period is kept as a relative choice in the URL (shareable: "last 7 days" stays relative when reopened).
  const period = q.get('period') ?? '';
  const from = PERIODS[period] ? new Date(Date.now() - PERIODS[period]).toISOString().slice(0, 16) + ':00.000Z' : null;
  // Sorted by the API over every matching alert (GET /api/alerts?sort=), not just the page loaded.
  const sort = q.get('sort') ?? 'time';
  const apiSort = sort === 'severity' || sort === 'user' ? sort : null;
  // Any change of filters, period or sort starts at the first page (a cursor belongs to one list and one sort).
  const [cursor, setCursor] = usePaging(JSON.stringify([filters, period, apiSort]));
  const r = useApi<{ items: any[]; next: string | null }>(qs('/api/alerts', { ...filters, from, sort: apiSort, limit: 200, cursor }));
  const detections = useApi<{ byDetection: Record<string, number> }>('/api/alerts/stats?interval=day');
  const items: any[] = r.data?.items ?? [];
  // The selection belongs to the list shown (filters, period, sort and page): any change of it (a filter, the
  // sort, Next / First page, Clear filters, back / forward) clears it and closes the resolve form, and only
  // alerts still shown count (a live refresh may drop one), so the bulk action acts only on what is seen.
  const shown = JSON.stringify([filters, period, apiSort, cursor]);
  const selection = useSelection(shown, items.map((a) => a.id as string));
  const { toggle } = selection;
  const [resolving, setResolving] = useListState(shown, false);
  const [notice, setNotice] = useState<string | null>(null);
  useLive(useCallback(() => r.reload(), [r.reload]));

  const bulk = async (res: Resolution) => {
    const ids = selection.ids;
    if (ids.length === 0) return setResolving(false);
    const out = await api<{ updated: number; failed: number; results: { id: string; ok: boolean; error: { message: string } | null }[] }>('POST', '/api/alerts/bulk', { ids, update: res });
    setResolving(false);
    selection.clear();
    const failures = out.results.filter((x) => !x.ok).map((x) => `${x.id}: ${x.error?.message}`);
    setNotice(`Resolved ${out.updated} alert(s)${out.failed ? `; ${out.failed} failed: ${failures.join('; ')}` : ''}.`);
    r.reload();
  };

  // Keyboard triage: j / k move between alerts (focus on the title link, Enter opens it), x selects the focused one.
  useEffect(() => {
    const k = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key !== 'j' && e.key !== 'k' && e.key !== 'x') return;
      const links = [...document.querySelectorAll<HTMLAnchorElement>('tr[data-alert-id] a.alert-link')];
      const at = links.findIndex((l) => l === document.activeElement);
      if (e.key === 'x') {
        const id = links[at]?.closest('tr')?.dataset.alertId;
        if (id) toggle(id);
        return;
      }
      const next = links[Math.min(links.length - 1, Math.max(0, at === -1 ? 0 : at + (e.key === 'j' ? 1 : -1)))];
      next?.focus();
    };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [toggle]);

  return (
    <section>
      <h1>Alerts</h1>
      <p className="muted small">Keys: j / k next / previous alert, Enter opens it, x selects it.</p>
      <form className="filters" role="search" aria-label="Alert filters" onSubmit={(e) => e.preventDefault()} key={filters.user}>
        <label>
          Status
          <select name="status" value={filters.status} onChange={(e) => setQ({ status: e.target.value })}>
            <option value="">any</option>
            <option value="new">new</option>
            <option value="in_progress">in progress</option>
            <option value="resolved">resolved</option>
          </select>
        </label>
        <label>
          Severity
          <select name="severity" value={filters.severity} onChange={(e) => setQ({ severity: e.target.value })}>
            <option value="">any</option>
            {['high', 'medium', 'low', 'informational'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Detection
          <select name="detection" value={filters.detection} onChange={(e) => setQ({ detection: e.target.value })}>
            <option value="">any</option>
            {Object.keys(detections.data?.byDetection ?? {})
              .concat(filters.detection && !detections.data?.byDetection[filters.detection] ? [filters.detection] : [])
              .sort()
              .map((d) => (
                <option key={d}>{d}</option>
              ))}
          </select>
        </label>
        <label>
          User
          <input type="search" name="user" defaultValue={filters.user} placeholder="email" onKeyDown={(e) => e.key === 'Enter' && setQ({ user: (e.target as HTMLInputElement).value })} onBlur={(e) => setQ({ user: e.target.value })} />
        </label>
        <label>
          Period
          <select name="period" value={period} onChange={(e) => setQ({ period: e.target.value })}>
            <option value="">any time</option>
            <option value="24h">last 24 hours</option>
            <option value="7d">last 7 days</option>
            <option value="30d">last 30 days</option>
          </select>
        </label>
        <label>
          Sort
          <select name="sort" value={sort} onChange={(e) => setQ({ sort: e.target.value === 'time' ? null : e.target.value })}>
            <option value="time">newest first</option>
            <option value="severity">severity</option>
            <option value="user">user</option>
          </select>
        </label>
      </form>
      {notice && (
        <div className="state ok" role="status">
          {notice}
        </div>
      )}
      {can(me, 'analyst') && (
        <div className="row">
          <button type="button" disabled={selection.ids.length === 0} onClick={() => setResolving(true)}>
            Resolve selected ({selection.ids.length})
          </button>
        </div>
      )}
      {resolving && selection.ids.length > 0 && <ResolveForm count={selection.ids.length} onSubmit={bulk} onCancel={() => setResolving(false)} />}
      <Async r={r}>
        {(d) =>
          items.length === 0 ? (
            <>
              <Empty>No alerts match these filters.</Empty>
              <div className="row">
                {cursor && <button onClick={() => setCursor(null)}>First page</button>}
                <button type="button" onClick={() => (setCursor(null), navigate('/alerts'))}>
                  Clear filters
                </button>
              </div>
            </>
          ) : (
            <>
              <table className="grid" aria-label="Alerts">
                <thead>
                  <tr>
                    <th>
                      <input
                        type="checkbox"
                        aria-label="Select all"
                        checked={selection.ids.length > 0 && selection.ids.length === items.length}
                        onChange={(e) => (e.target.checked ? selection.setAll(items.map((a) => a.id)) : selection.clear())}
                      />
                    </th>
                    <th>Time</th>
                    <th>Severity</th>
                    <th>Alert</th>
                    <th>User</th>
                    <th>Status</th>
                    <th>Classification</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((a) => (
                    <tr key={a.id} data-alert-id={a.id} data-detection={a.detection}>
                      <td>
                        <input type="checkbox" aria-label={`Select ${a.title}`} checked={selection.has(a.id)} onChange={() => toggle(a.id)} />
                      </td>
                      <td>
                        <Time iso={a.time} />
                      </td>
                      <td>
                        <Sev s={a.severity} />
                      </td>
                      <td>
                        <Link className="alert-link" to={`/alerts/${encodeURIComponent(a.id)}`}>
                          {a.title}
                        </Link>
                        <div className="muted small">{a.detection}</div>
                      </td>
                      <td>{a.user ? <Link to={`/users/${encodeURIComponent(a.user)}`}>{a.user}</Link> : '—'}</td>
                      <td>
                        <Status s={a.status} />
                      </td>
                      <td>{a.classification ? a.classification.replace(/_/g, ' ') : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="row">
                {cursor && <button onClick={() => setCursor(null)}>First page</button>}
                {d.next && <button onClick={() => setCursor(d.next)}>Next page</button>}
                <button type="button" onClick={() => (setCursor(null), navigate('/alerts'))}>
                  Clear filters
                </button>
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}
