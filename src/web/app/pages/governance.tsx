/** Governance log: every action run by policies, alerts or people, with retry / revert / approve / reject. */
import { useState } from 'react';
import { api, qs, type ApiError } from '../api.ts';
import { can, useMe } from '../session.ts';
import { Link, useQueryState } from '../router.tsx';
import { Async, Confirm, Empty, ErrorBox, Status, Time, useApi } from '../ui.tsx';

const NEXT: Record<string, string[]> = { failed: ['retry'], succeeded: ['revert'], awaiting_approval: ['approve', 'reject'] };

export function GovernancePage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const r = useApi<{ items: any[] }>(qs('/api/actions', { user: q.get('user'), status: q.get('status') }));
  const [pending, setPending] = useState<[string, string] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const go = async () => {
    if (!pending) return;
    const [id, verb] = pending;
    setPending(null);
    try {
      await api('POST', `/api/actions/${encodeURIComponent(id)}/${verb}`, {});
      r.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <section>
      <h1>Governance log</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          User
          <input type="search" name="user" defaultValue={q.get('user') ?? ''} onBlur={(e) => setQ({ user: e.target.value })} onKeyDown={(e) => e.key === 'Enter' && setQ({ user: (e.target as HTMLInputElement).value })} />
        </label>
      </form>
      <ErrorBox error={error} />
      {pending && <Confirm title={`${pending[1]} this action?`} confirmLabel={pending[1]} onConfirm={() => void go()} onCancel={() => setPending(null)} />}
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No governance action yet.</Empty>
          ) : (
            <table className="grid" aria-label="Governance actions">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Action</th>
                  <th>User</th>
                  <th>Provider</th>
                  <th>Status</th>
                  <th>Trigger</th>
                  <th>Reason</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.items.map((e) => (
                  <tr key={e.id} data-action={e.action} data-user={e.target.user}>
                    <td>
                      <Time iso={e.createdAt} />
                    </td>
                    <td>{e.action.replace(/_/g, ' ')}</td>
                    <td>
                      <Link to={`/users/${encodeURIComponent(e.target.user)}`}>{e.target.user}</Link>
                    </td>
                    <td>{e.provider}</td>
                    <td>
                      <Status s={e.status} />
                      {e.statusReason && <div className="muted small">{e.statusReason}</div>}
                    </td>
                    <td>{e.trigger.kind === 'alert' && e.trigger.alertId ? <Link to={`/alerts/${encodeURIComponent(e.trigger.alertId)}`}>alert</Link> : e.trigger.kind}</td>
                    <td className="small">{e.reason}</td>
                    <td>
                      {can(me, 'analyst') &&
                        (NEXT[e.status] ?? []).map((v) => (
                          <button key={v} onClick={() => setPending([e.id, v])}>
                            {v}
                          </button>
                        ))}
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
