/** Alert detail: evidence, details, related activities on a timeline, a world map, triage and governance actions. */
import { useCallback, useState } from 'react';
import { api, type ApiError } from '../api.ts';
import { can, useLive, useMe } from '../session.ts';
import { Link } from '../router.tsx';
import { actionOutcome, Async, Confirm, Empty, ErrorBox, Sev, Status, Time, useApi } from '../ui.tsx';
import { WorldMap, type Place } from '../WorldMap.tsx';
import { ResolveForm, type Resolution, CLASS_LABELS } from './triage.tsx';
import { Timeline } from './timeline.tsx';

type Geo = { lat?: number | null; lon?: number | null; city?: string | null; country?: string | null; ip?: string | null; time?: string };

const placeOf = (g: Geo | null | undefined, extra = ''): Place | null =>
  g && typeof g.lat === 'number' && typeof g.lon === 'number' ? { lat: g.lat, lon: g.lon, label: [g.city, g.country].filter(Boolean).join(', ') + (extra ? ` ${extra}` : '') } : null;

/** Impossible travel carries both places in its details; otherwise the places of the related activities. */
function mapPlaces(alert: any, activities: any[]): { places: Place[]; path: boolean } {
  const d = alert.details ?? {};
  if (d.from && d.to) {
    const a = placeOf(d.from, `(${d.from.ip ?? ''})`);
    const b = placeOf(d.to, `(${d.to.ip ?? ''})`);
    if (a && b) return { places: [a, b], path: true };
  }
  const seen = new Map<string, Place>();
  for (const act of activities) {
    const p = placeOf(act.geo);
    if (p) seen.set(`${p.lat},${p.lon}`, p);
  }
  return { places: [...seen.values()].slice(0, 50), path: false };
}

const ACTIONS: [string, string, boolean][] = [
  ['notify_user', 'Notify user', false],
  ['require_sign_in', 'Require user to sign in again', false],
  ['suspend_user', 'Suspend user', true],
];

export function AlertPage({ id }: { id: string }) {
  const me = useMe();
  const r = useApi<any>(`/api/alerts/${encodeURIComponent(id)}`);
  const acts = useApi<{ items: any[]; missing: string[] }>(`/api/alerts/${encodeURIComponent(id)}/activities`);
  const hist = useApi<{ items: any[] }>(`/api/alerts/${encodeURIComponent(id)}/history`);
  const [resolving, setResolving] = useState(false);
  const [pending, setPending] = useState<[string, string, boolean] | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<{ message: string; code?: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [suppressed, setSuppressed] = useState(false);
  useLive(
    useCallback(
      (_k: string, a: any) => {
        if (a?.id === id) {
          r.reload();
          hist.reload();
        }
      },
      [id, r.reload, hist.reload],
    ),
  );

  const update = async (body: Record<string, unknown>) => {
    setError(null);
    try {
      await api('PATCH', `/api/alerts/${encodeURIComponent(id)}`, body);
      r.reload();
      hist.reload();
    } catch (e) {
      setError(e as ApiError);
      throw e;
    }
  };
  const resolve = async (res: Resolution) => {
    await update(res as unknown as Record<string, unknown>);
    setResolving(false);
    setSuppressed(Boolean(res.suppress));
    setNotice(`Resolved as ${CLASS_LABELS[res.classification]}.${res.suppress ? ' Similar alerts are suppressed from now on.' : ''}`);
  };
  const runAction = async (alert: any) => {
    if (!pending) return;
    const [action, label] = pending;
    setPending(null);
    setError(null);
    try {
      const out = actionOutcome(label, await api<any>('POST', '/api/actions', { action, user: alert.user, app: alert.app, reason: reason || `from alert ${alert.id}: ${alert.title}` }));
      setSuppressed(false);
      setNotice(out.notice && `${out.notice} See the governance log.`);
      setError(out.error);
    } catch (e) {
      setError(e as ApiError);
    }
  };

  return (
    <Async r={r}>
      {(a) => {
        const m = mapPlaces(a, acts.data?.items ?? []);
        return (
          <section className="alert-detail">
            <p className="crumbs">
              <Link to="/alerts">Alerts</Link> /
            </p>
            <h1>
              <Sev s={a.severity} /> {a.title}
            </h1>
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="alert-status">
                <Status s={a.status} />
                {a.classification && <span> — {CLASS_LABELS[a.classification]}{a.classificationReason ? ` (${a.classificationReason.replace(/_/g, ' ')})` : ''}</span>}
              </dd>
              <dt>User</dt>
              <dd>{a.user ? <Link to={`/users/${encodeURIComponent(a.user)}`}>{a.user}</Link> : '—'}</dd>
              <dt>Detection</dt>
              <dd>
                <Link to={`/alerts?detection=${encodeURIComponent(a.detection)}`}>{a.detection}</Link>
              </dd>
              <dt>Time</dt>
              <dd>
                <Time iso={a.time} /> (seen {a.count}×, first <Time iso={a.firstSeen} />)
              </dd>
              <dt>Assignee</dt>
              <dd>{a.assignee ?? 'nobody'}</dd>
              {a.ips?.length > 0 && (
                <>
                  <dt>IPs</dt>
                  <dd>
                    {a.ips.map((ip: string) => (
                      <Link key={ip} className="pill" to={`/activities?ip=${encodeURIComponent(ip)}`}>
                        {ip}
                      </Link>
                    ))}
                  </dd>
                </>
              )}
            </dl>
            {notice && (
              <div className="state ok" role="status">
                {notice}
                {suppressed && (
                  <>
                    {' '}
                    <Link to="/suppressions">See the suppressions</Link>.
                  </>
                )}
              </div>
            )}
            <ErrorBox error={error} />
            {can(me, 'analyst') && (
              <div className="row actions" aria-label="Triage and governance">
                {a.status === 'new' && <button onClick={() => void update({ status: 'in_progress', assignee: me.id }).catch(() => undefined)}>Start investigating</button>}
                {a.status !== 'resolved' ? (
                  <button className="primary" onClick={() => setResolving(true)}>
                    Resolve…
                  </button>
                ) : (
                  <button onClick={() => void update({ status: 'in_progress' }).catch(() => undefined)}>Reopen</button>
                )}
                {a.user &&
                  ACTIONS.map((x) => (
                    <button key={x[0]} className={x[2] ? 'danger' : ''} onClick={() => (setReason(''), setPending(x))}>
                      {x[1]}…
                    </button>
                  ))}
              </div>
            )}
            {resolving && <ResolveForm count={1} allowSuppress onSubmit={resolve} onCancel={() => setResolving(false)} />}
            {pending && (
              <Confirm title={`${pending[1]}?`} confirmLabel={pending[1]} danger={pending[2]} onConfirm={() => void runAction(a)} onCancel={() => setPending(null)}>
                <p>
                  {pending[1]} <strong>{a.user}</strong> in {a.app}. This is recorded in the governance log and the audit log.
                </p>
                <label>
                  Reason
                  <input name="action-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder={`from alert: ${a.title}`} />
                </label>
              </Confirm>
            )}
            <div className="cols">
              <div>
                <h2>Evidence</h2>
                <ul className="evidence">
                  {a.evidence.map((e: string, i: number) => (
                    <li key={i}>{e}</li>
                  ))}
                </ul>
                {a.description && <p>{a.description}</p>}
                <details>
                  <summary>Details (JSON)</summary>
                  <pre>{JSON.stringify(a.details, null, 2)}</pre>
                </details>
              </div>
              <div>
                {m.places.length > 0 ? (
                  <WorldMap places={m.places} path={m.path} label={m.path ? `Impossible travel: ${m.places.map((p) => p.label).join(' → ')}` : 'Places of the related activities'} />
                ) : (
                  <Empty>No located activity for a map.</Empty>
                )}
              </div>
            </div>
            <h2>Related activities</h2>
            <Async r={acts}>{(d) => (d.items.length ? <Timeline items={d.items} /> : <Empty>No related activities stored{d.missing.length ? ` (${d.missing.length} pruned by retention)` : ''}.</Empty>)}</Async>
            <h2>History</h2>
            <Async r={hist}>
              {(d) =>
                d.items.length ? (
                  <ul className="history">
                    {d.items.map((h, i) => (
                      <li key={i}>
                        <Time iso={h.at} /> {h.by}:{' '}
                        {Object.entries(h.changes)
                          .map(([k, v]: [string, any]) => `${k} ${String(v.from)} → ${String(v.to)}`)
                          .join(', ')}
                        {h.comment ? ` — “${h.comment}”` : ''}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <Empty>No changes yet.</Empty>
                )
              }
            </Async>
          </section>
        );
      }}
    </Async>
  );
}
