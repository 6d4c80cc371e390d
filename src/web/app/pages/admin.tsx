/** Connectors, IP ranges, settings and accounts. */
import { useState, type FormEvent } from 'react';
import { api, type ApiError } from '../api.ts';
import { Link } from '../router.tsx';
import { can, useMe } from '../session.ts';
import { Async, Confirm, Empty, ErrorBox, Status, Time, useApi } from '../ui.tsx';

export function ConnectorsPage() {
  const r = useApi<{ items: any[] }>('/api/connectors');
  return (
    <section>
      <h1>Connectors</h1>
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No connector is configured (see docs/connectors in the configuration).</Empty>
          ) : (
            <table className="grid" aria-label="Connectors">
              <thead>
                <tr>
                  <th>Connector</th>
                  <th>Status</th>
                  <th>Last event</th>
                  <th>Events / min</th>
                  <th>Errors</th>
                  <th>Checkpoints</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((c) => (
                  <tr key={c.connector}>
                    <td>{c.connector}</td>
                    <td>
                      <Status s={c.status} />
                      {c.message && <div className="muted small">{c.message}</div>}
                    </td>
                    <td>
                      <Time iso={c.lastEventTime} />
                    </td>
                    <td>{c.eventsPerMin}</td>
                    <td className="small">
                      {Object.entries(c.errorsByKind)
                        .map(([k, v]) => `${k}: ${v}`)
                        .join(', ') || 'none'}
                    </td>
                    <td className="small">
                      {Object.entries(c.checkpoint)
                        .map(([k, v]) => `${k}: ${v ?? '—'}`)
                        .join(', ')}
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

export function IpRangesPage() {
  const me = useMe();
  const r = useApi<{ items: any[] }>('/api/ip-ranges');
  const [error, setError] = useState<ApiError | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const form = e.currentTarget;
    setError(null);
    try {
      await api('POST', '/api/ip-ranges', {
        name: String(f.get('name')),
        category: String(f.get('category')),
        subnets: String(f.get('subnets')).split(/[\s,]+/).filter(Boolean),
        tags: String(f.get('tags') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      });
      form.reset();
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const del = async () => {
    const name = deleting!;
    setDeleting(null);
    try {
      await api('DELETE', `/api/ip-ranges/${encodeURIComponent(name)}`);
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section>
      <h1>IP ranges</h1>
      <ErrorBox error={error} />
      {deleting && <Confirm title={`Delete IP range ${deleting}?`} confirmLabel="Delete" danger onConfirm={() => void del()} onCancel={() => setDeleting(null)} />}
      {can(me, 'admin') && (
        <form className="filters card" aria-label="New IP range" onSubmit={(e) => void create(e)}>
          <label>
            Name
            <input name="name" type="text" required />
          </label>
          <label>
            Category
            <select name="category">
              {['corporate', 'administrative', 'risky', 'vpn', 'cloud_provider', 'other'].map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            Subnets
            <input name="subnets" type="text" placeholder="203.0.113.0/24, 2001:db8::/32" required />
          </label>
          <label>
            Tags
            <input name="tags" type="text" placeholder="comma separated" />
          </label>
          <button className="primary" type="submit">
            Add range
          </button>
        </form>
      )}
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No IP range yet.</Empty>
          ) : (
            <table className="grid" aria-label="IP ranges">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Category</th>
                  <th>Subnets</th>
                  <th>Tags</th>
                  <th>Source</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.items.map((x) => (
                  <tr key={x.name}>
                    <td>{x.name}</td>
                    <td>{x.category}</td>
                    <td className="small">
                      {x.subnets.slice(0, 10).join(', ')}
                      {x.subnets.length > 10 ? ` … (${x.subnets.length})` : ''}
                    </td>
                    <td>{x.tags.join(', ')}</td>
                    <td>{x.source}</td>
                    <td>{x.source === 'api' && can(me, 'admin') && <button onClick={() => setDeleting(x.name)}>Delete</button>}</td>
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

export function SettingsPage() {
  const me = useMe();
  const s = useApi<any>('/api/settings');
  const accounts = useApi<{ items: any[] }>(can(me, 'admin') ? '/api/accounts' : null);
  const stats = useApi<any>(can(me, 'admin') ? '/api/store/stats' : null);
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    try {
      const out = await api<{ password: string | null }>('POST', '/api/accounts', { email: String(f.get('email')), role: String(f.get('role')) });
      setCreated(out.password ? `One-time password (shown once): ${out.password}` : 'Account created.');
      accounts.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section>
      <h1>Settings</h1>
      <Async r={s}>
        {(d) => (
          <div className="card">
            <h2>Service</h2>
            <dl className="facts">
              <dt>Store</dt>
              <dd>{d.service.store}</dd>
              <dt>TLS</dt>
              <dd>{d.service.tls ? 'on' : 'off'}</dd>
              <dt>Retention</dt>
              <dd>{d.service.retentionDays} days</dd>
              <dt>Session lifetime</dt>
              <dd>{Math.round(d.service.sessionTtlSecs / 3600)} h</dd>
              <dt>Connectors</dt>
              <dd>{d.service.connectors.join(', ') || 'none'}</dd>
              <dt>Governance</dt>
              <dd>{d.service.governance ? 'available' : 'unavailable'}</dd>
              <dt>Priority weights</dt>
              <dd>
                <code>{JSON.stringify(d.settings.priorityWeights)}</code>
              </dd>
            </dl>
          </div>
        )}
      </Async>
      {can(me, 'admin') && (
        <Async r={stats}>
          {(st) => (
            <div className="card" aria-label="Store">
              <h2>Store</h2>
              <dl className="facts">
                <dt>Activities</dt>
                <dd>
                  {st.activities.toLocaleString('en-US')}
                  {st.oldestActivity ? ` from ${st.oldestActivity.slice(0, 10)} to ${st.newestActivity.slice(0, 10)}` : ''} (retention {st.retentionDays} days)
                </dd>
                <dt>Alerts</dt>
                <dd>{st.alerts.toLocaleString('en-US')}</dd>
                <dt>Rejected input</dt>
                <dd>{st.rejects.toLocaleString('en-US')}</dd>
                <dt>Directory</dt>
                <dd>{st.directoryUsers.toLocaleString('en-US')} users</dd>
                <dt>Size on disk</dt>
                <dd>{(st.bytes / 1048576).toFixed(1)} MB</dd>
              </dl>
            </div>
          )}
        </Async>
      )}
      <div className="card" aria-label="More settings">
        <h2>Review and access</h2>
        <ul className="list">
          <li>
            <Link to="/suppressions">Suppressions</Link>: alerts silenced by triage feedback, with how often each matched
          </li>
          {can(me, 'admin') && (
            <>
              <li>
                <Link to="/audit">Audit log</Link>: who did what in Rampart (sign-ins, triage, policy and settings changes, actions)
              </li>
              <li>
                <Link to="/tokens">API tokens</Link>: create tokens for integrations, see their last use, revoke them
              </li>
              <li>
                <Link to="/rejects">Rejected input</Link>: events that could not be accepted, with their error code and a sample
              </li>
            </>
          )}
        </ul>
      </div>
      {can(me, 'admin') && (
        <>
          <h2>Accounts</h2>
          <ErrorBox error={error} />
          {created && (
            <div className="state ok" role="status">
              {created}
            </div>
          )}
          <form className="filters card" aria-label="New account" onSubmit={(e) => void create(e)}>
            <label>
              Email
              <input name="email" type="text" required />
            </label>
            <label>
              Role
              <select name="role">
                <option>viewer</option>
                <option>analyst</option>
                <option>admin</option>
              </select>
            </label>
            <button className="primary" type="submit">
              Create (one-time password)
            </button>
          </form>
          <Async r={accounts}>
            {(d) => (
              <table className="grid" aria-label="Accounts">
                <thead>
                  <tr>
                    <th>Email</th>
                    <th>Role</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.email}>
                      <td>{a.email}</td>
                      <td>{a.role}</td>
                      <td>{[a.disabled ? 'disabled' : 'enabled', a.lockedUntil ? 'locked' : null, a.mustChangePassword ? 'must change password' : null].filter(Boolean).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Async>
        </>
      )}
    </section>
  );
}
