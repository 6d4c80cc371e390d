/**
 * Alert suppressions (triage feedback): what each suppresses, who added it from which alert, how often it
 * matched; analysts remove them. They are created by resolving an alert with "Suppress similar alerts".
 */
import { useMemo, useState } from 'react';
import { api, type ApiError } from '../api.ts';
import { Link, useQueryState } from '../router.tsx';
import { can, useMe } from '../session.ts';
import { Async, Confirm, Empty, ErrorBox, Time, useApi } from '../ui.tsx';
import { CLASS_LABELS } from './triage.tsx';

export function SuppressionsPage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const text = (q.get('q') ?? '').trim().toLowerCase();
  const r = useApi<{ items: any[] }>('/api/suppressions');
  const [error, setError] = useState<ApiError | null>(null);
  const [removing, setRemoving] = useState<any>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The API returns every suppression (no paging), so filtering here is exact.
  const items = useMemo(
    () => (r.data?.items ?? []).filter((s) => !text || [s.detection, s.user, s.ip, s.isp, s.createdBy].some((v) => typeof v === 'string' && v.toLowerCase().includes(text))),
    [r.data, text],
  );
  const remove = async () => {
    const s = removing;
    setRemoving(null);
    setError(null);
    try {
      await api('DELETE', `/api/suppressions/${encodeURIComponent(s.id)}`);
      setNotice(`Suppression of ${s.detection} for ${s.user ?? 'every user'} removed: matching alerts are raised again.`);
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section>
      <h1>Suppressions</h1>
      <p className="muted small">
        Added when an alert is resolved as a false positive or benign true positive with “Suppress similar alerts” (on the alert page). A new alert that matches one is
        stored already resolved, never dropped, and is not delivered. A suppression lasts until someone removes it, or until the end date chosen when it was added; a lapsed one stays listed and matches nothing.
      </p>
      <form className="filters" role="search" aria-label="Suppression filter" onSubmit={(e) => e.preventDefault()} key={q.get('q') ?? ''}>
        <label>
          Detection, user, IP or ISP
          <input type="search" name="q" defaultValue={q.get('q') ?? ''} onBlur={(e) => setQ({ q: e.target.value })} onKeyDown={(e) => e.key === 'Enter' && setQ({ q: (e.target as HTMLInputElement).value })} />
        </label>
      </form>
      <ErrorBox error={error} />
      {notice && (
        <div className="state ok" role="status">
          {notice}
        </div>
      )}
      {removing && (
        <Confirm title={`Remove the suppression of ${removing.detection}?`} confirmLabel="Remove" danger onConfirm={() => void remove()} onCancel={() => setRemoving(null)}>
          <p>New alerts of this detection for {removing.user ?? 'every user'} will be raised and delivered again.</p>
        </Confirm>
      )}
      <Async r={r}>
        {(d) =>
          items.length === 0 ? (
            <Empty>{d.items.length === 0 ? 'No suppression: every alert is raised.' : 'No suppression matches this filter.'}</Empty>
          ) : (
            <table className="grid" aria-label="Suppressions">
              <thead>
                <tr>
                  <th>Detection</th>
                  <th>Suppresses</th>
                  <th>Verdict</th>
                  <th>Added</th>
                  <th>Hits</th>
                  <th>Until</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id} data-suppression-id={s.id} data-detection={s.detection}>
                    <td>
                      <Link to={`/alerts?detection=${encodeURIComponent(s.detection)}`}>{s.detection}</Link>
                    </td>
                    <td className="small">
                      <div>user: {s.user ? <Link to={`/users/${encodeURIComponent(s.user)}`}>{s.user}</Link> : 'every user'}</div>
                      {s.ip && <div>IP: {s.ip}</div>}
                      {s.isp && <div>ISP: {s.isp}</div>}
                    </td>
                    <td className="small">
                      {CLASS_LABELS[s.classification] ?? s.classification}
                      {s.reason && ` (${s.reason.replace(/_/g, ' ')})`}
                      {s.comment && <div className="muted">{s.comment}</div>}
                    </td>
                    <td className="small">
                      <Time iso={s.createdAt} />
                      <div className="muted">
                        by {s.createdBy}, from <Link to={`/alerts/${encodeURIComponent(s.fromAlert)}`}>the alert</Link>
                      </div>
                    </td>
                    <td className="small" data-testid="suppression-hits">
                      {s.hits}
                      {s.lastHitAt && (
                        <div className="muted">
                          last <Time iso={s.lastHitAt} />
                        </div>
                      )}
                    </td>
                    <td className="small" data-testid="suppression-until">
                      {!s.expiresAt ? 'until removed' : Date.parse(s.expiresAt) > Date.now() ? <Time iso={s.expiresAt} /> : <span className="badge">lapsed</span>}
                    </td>
                    <td>
                      {can(me, 'analyst') && (
                        <button className="danger" onClick={() => setRemoving(s)}>
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  );
}
