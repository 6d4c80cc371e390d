/** User page: investigation priority, countries / IPs / devices with first and last seen, alerts, timeline, actions. */
import { useState } from 'react';
import { api, type ApiError } from '../api.ts';
import { can, useMe } from '../session.ts';
import { Link } from '../router.tsx';
import { actionOutcome, Async, Confirm, DbIpAttribution, Empty, ErrorBox, Sev, Status, Time, useApi } from '../ui.tsx';
import { Timeline } from './timeline.tsx';

function Seen({ title, column, rows, link }: { title: string; column: string; rows: { value: string; count: number; firstSeen: string; lastSeen: string }[]; link?: (v: string) => string }) {
  return (
    <div>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <Empty>None in the last 30 days.</Empty>
      ) : (
        <table className="grid compact" aria-label={title}>
          <thead>
            <tr>
              <th>{column}</th>
              <th>Count</th>
              <th>First seen</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.value}>
                <td>{link ? <Link to={link(s.value)}>{s.value}</Link> : s.value}</td>
                <td>{s.count}</td>
                <td>
                  <Time iso={s.firstSeen} />
                </td>
                <td>
                  <Time iso={s.lastSeen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function UserPage({ user }: { user: string }) {
  const me = useMe();
  const enc = encodeURIComponent(user);
  const r = useApi<any>(`/api/users/${enc}`);
  const alerts = useApi<{ items: any[] }>(`/api/users/${enc}/alerts?limit=50`);
  const acts = useApi<{ items: any[] }>(`/api/users/${enc}/activities?limit=100`);
  const [pending, setPending] = useState<[string, string] | null>(null);
  const [error, setError] = useState<{ message: string; code?: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async () => {
    if (!pending) return;
    const [action, label] = pending;
    setPending(null);
    setError(null);
    setNotice(null);
    try {
      const out = actionOutcome(label, await api<any>('POST', '/api/actions', { action, user, reason: `from the user page by ${me.name}` }));
      setNotice(out.notice);
      setError(out.error);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const reset = async () => {
    try {
      await api('POST', `/api/users/${enc}/priority/reset`);
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section>
      <p className="crumbs">
        <Link to="/activities">Activity log</Link> /
      </p>
      <h1>{user}</h1>
      <ErrorBox error={error} />
      {notice && (
        <div className="state ok" role="status">
          {notice}
        </div>
      )}
      <Async r={r}>
        {(u) => (
          <>
            <div className="cards">
              <div className="card kpi">
                <div className="big" data-testid="priority">
                  {u.priority.score}
                </div>
                <div>investigation priority (7 days{u.priority.truncated ? ', lower bound' : ''})</div>
                <ul className="small">
                  {u.priority.breakdown.map((b: any) => (
                    <li key={b.kind}>
                      {b.kind}: {b.count} × {b.weight} = {b.points}
                    </li>
                  ))}
                </ul>
                {can(me, 'analyst') && <button onClick={() => void reset()}>Reset priority</button>}
              </div>
              <div className="card">
                <h3>Directory</h3>
                {u.directory.length === 0 ? (
                  <Empty>Not in a synced directory.</Empty>
                ) : (
                  u.directory.map((d: any) => (
                    <dl key={d.app + d.id} className="facts">
                      <dt>App</dt>
                      <dd>{d.app}</dd>
                      <dt>Name</dt>
                      <dd>{d.name ?? '—'}</dd>
                      <dt>Status</dt>
                      <dd>{[d.active === false ? 'inactive' : 'active', d.isAdmin ? 'admin' : null].filter(Boolean).join(', ')}</dd>
                    </dl>
                  ))
                )}
              </div>
              {can(me, 'analyst') && (
                <div className="card">
                  <h3>Actions</h3>
                  <div className="row">
                    <button onClick={() => setPending(['notify_user', 'Notify user'])}>Notify…</button>
                    <button onClick={() => setPending(['require_sign_in', 'Require sign-in again'])}>Require sign-in…</button>
                    <button className="danger" onClick={() => setPending(['suspend_user', 'Suspend user'])}>
                      Suspend…
                    </button>
                    <button onClick={() => setPending(['unsuspend_user', 'Unsuspend user'])}>Unsuspend…</button>
                  </div>
                </div>
              )}
            </div>
            {pending && (
              <Confirm title={`${pending[1]}?`} confirmLabel={pending[1]} danger={pending[0] === 'suspend_user'} onConfirm={() => void run()} onCancel={() => setPending(null)}>
                <p>
                  {pending[1]}: <strong>{user}</strong>. Recorded in the governance and audit logs.
                </p>
              </Confirm>
            )}
            <div className="cols3">
              <Seen title="Countries" column="Country" rows={u.seen.countries} link={(v) => `/activities?user=${enc}&filters=${encodeURIComponent(JSON.stringify([{ field: 'geo.country', op: 'eq', value: v }]))}`} />
              <Seen title="IPs" column="IP" rows={u.seen.ips} link={(v) => `/activities?ip=${encodeURIComponent(v)}`} />
              <Seen title="Devices" column="Device" rows={u.seen.devices} />
            </div>
            <DbIpAttribution />
          </>
        )}
      </Async>
      <h2>Alerts</h2>
      <Async r={alerts}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No alerts about this user.</Empty>
          ) : (
            <ul className="list">
              {d.items.map((a) => (
                <li key={a.id}>
                  <Sev s={a.severity} /> <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.title}</Link> <Status s={a.status} /> <Time iso={a.time} />
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      <h2>
        Activity timeline <Link className="small" to={`/activities?user=${enc}`}>open in the activity log</Link>
      </h2>
      <Async r={acts}>{(d) => (d.items.length ? <Timeline items={d.items} /> : <Empty>No activity stored.</Empty>)}</Async>
    </section>
  );
}
