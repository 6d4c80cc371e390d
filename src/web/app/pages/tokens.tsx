/** API tokens (admin): list with last use, create (the secret is shown once), revoke. */
import { useState, type FormEvent } from 'react';
import { api, type ApiError } from '../api.ts';
import { can, useMe } from '../session.ts';
import { Async, Confirm, Empty, ErrorBox, NeedsRole, Status, Time, useApi } from '../ui.tsx';

const ROLES = ['viewer', 'analyst', 'admin'] as const;

const stateOf = (t: { revokedAt: string | null; expiresAt: string | null }) => (t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active');

export function TokensPage() {
  const me = useMe();
  const admin = can(me, 'admin');
  const r = useApi<{ items: any[] }>(admin ? '/api/tokens' : null);
  const [error, setError] = useState<ApiError | null>(null);
  // The secret lives only in this state: the API never returns it again, and it is gone once dismissed.
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const days = String(f.get('expiresInDays') ?? '').trim();
    setError(null);
    try {
      const out = await api<{ token: string; info: { name: string } }>('POST', '/api/tokens', {
        name: String(f.get('name')).trim(),
        role: String(f.get('role')),
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      setSecret({ name: out.info.name, token: out.token });
      form.reset();
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const revoke = async () => {
    const t = revoking!;
    setRevoking(null);
    setError(null);
    try {
      await api('DELETE', `/api/tokens/${encodeURIComponent(t.id)}`);
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  if (!admin) {
    return (
      <section>
        <h1>API tokens</h1>
        <NeedsRole role="admin" what="API tokens" />
      </section>
    );
  }
  return (
    <section>
      <h1>API tokens</h1>
      <p className="muted small">
        For integrations (SIEM, scripts): send <code>Authorization: Bearer rmp_…</code>. A token acts with its role, never higher than its creator&apos;s, and stops
        working at once when revoked. Only a digest of the secret is stored.
      </p>
      <ErrorBox error={error} />
      {secret && (
        <div className="state ok" role="status" data-testid="token-created">
          <strong>Token “{secret.name}” created.</strong> Copy the secret now: it is shown this once and never again.
          <div className="row">
            <input type="text" readOnly aria-label="New token secret" value={secret.token} size={Math.min(80, secret.token.length)} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => setSecret(null)}>
              Done, hide it
            </button>
          </div>
        </div>
      )}
      {revoking && (
        <Confirm title={`Revoke token ${revoking.name}?`} confirmLabel="Revoke" danger onConfirm={() => void revoke()} onCancel={() => setRevoking(null)}>
          <p>Every integration using it is refused from now on. This cannot be undone.</p>
        </Confirm>
      )}
      <form className="filters card" aria-label="New API token" onSubmit={(e) => void create(e)}>
        <label>
          Name
          <input name="name" type="text" required maxLength={128} placeholder="siem" />
        </label>
        <label>
          Role
          <select name="role" defaultValue="viewer">
            {ROLES.filter((x) => can(me, x)).map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </label>
        <label>
          Expires in (days)
          <input name="expiresInDays" type="number" min={1} max={3650} placeholder="never" />
        </label>
        <button className="primary" type="submit">
          Create token
        </button>
      </form>
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No API token yet.</Empty>
          ) : (
            <table className="grid" aria-label="API tokens">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>Created</th>
                  <th>Expires</th>
                  <th>Last used</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.items.map((t) => {
                  const state = stateOf(t);
                  return (
                    <tr key={t.id} data-token-id={t.id} data-token-name={t.name}>
                      <td>
                        {t.name}
                        <div className="muted small">
                          <code>{t.id}</code>
                        </div>
                      </td>
                      <td>{t.role}</td>
                      <td>
                        <Status s={state} />
                        {t.revokedAt && (
                          <div className="muted small">
                            <Time iso={t.revokedAt} /> by {t.revokedBy ?? '—'}
                          </div>
                        )}
                      </td>
                      <td className="small">
                        <Time iso={t.createdAt} />
                        <div className="muted">by {t.createdBy}</div>
                      </td>
                      <td className="small">{t.expiresAt ? <Time iso={t.expiresAt} /> : 'never'}</td>
                      <td className="small">{t.lastUsedAt ? <Time iso={t.lastUsedAt} /> : 'never'}</td>
                      <td>
                        {state !== 'revoked' && (
                          <button className="danger" onClick={() => setRevoking({ id: t.id, name: t.name })}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  );
}
