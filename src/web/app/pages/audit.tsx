/** Rampart's own audit log (admin): who did what, when, from where; filters in the URL, cursor paging. */
import { Fragment, useState } from 'react';
import { qs } from '../api.ts';
import { navigate, useQueryState } from '../router.tsx';
import { can, useMe } from '../session.ts';
import { Async, CursorNav, Empty, NeedsRole, plain, Status, Time, useApi, usePaging } from '../ui.tsx';

const FILTERS = ['actor', 'action', 'from', 'to'] as const;
/** Suggestions for the action filter (handlers name these; other requests are `<METHOD> <route>`). */
const ACTIONS = [
  'auth.login',
  'auth.logout',
  'auth.password_change',
  'account.create',
  'account.update',
  'account.delete',
  'account.unlock',
  'token.create',
  'token.revoke',
  'alert.update',
  'alert.bulk_update',
  'suppression.delete',
  'policy.create',
  'policy.put',
  'policy.update',
  'policy.delete',
  'policy.backtest',
  'ip_range.create',
  'ip_range.put',
  'ip_range.delete',
  'settings.update',
  'activity.export',
  'user.priority_reset',
  'action.notify_user',
  'action.require_sign_in',
  'action.suspend_user',
  'action.unsuspend_user',
  'action.retry',
  'action.revert',
  'action.approve',
  'action.reject',
];

export function AuditPage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const f = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const list = qs('/api/audit', { ...f, limit: 100 });
  // Any change of the filters (Apply, narrowing from a cell, Clear, back / forward) starts at the first page; the
  // explicit resets cover the same filters applied again (the URL does not change).
  const [cursor, setCursor] = usePaging(list);
  const [open, setOpen] = useState<string | null>(null);
  const r = useApi<{ items: any[]; next: string | null }>(can(me, 'admin') ? (cursor ? `${list}&cursor=${encodeURIComponent(cursor)}` : list) : null);
  const narrow = (patch: Record<string, string>) => (setCursor(null), setQ(patch));
  if (!can(me, 'admin')) {
    return (
      <section>
        <h1>Audit log</h1>
        <NeedsRole role="admin" what="the audit log" />
      </section>
    );
  }
  return (
    <section>
      <h1>Audit log</h1>
      <p className="muted small">Every state-changing request to Rampart (sign-ins, triage, policy and settings changes, actions), successful or not, newest first.</p>
      <form
        className="filters"
        role="search"
        aria-label="Audit filters"
        key={q.toString()}
        onSubmit={(e) => {
          e.preventDefault();
          const d = new FormData(e.currentTarget);
          narrow(Object.fromEntries(FILTERS.map((k) => [k, String(d.get(k) ?? '').trim()])));
        }}
      >
        <label>
          Actor
          <input type="search" name="actor" defaultValue={f.actor} placeholder="alice@acme.example, anonymous" />
        </label>
        <label>
          Action
          <input type="text" name="action" defaultValue={f.action} list="audit-actions" />
          <datalist id="audit-actions">
            {ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          From
          <input type="text" name="from" defaultValue={f.from} placeholder="ISO time" />
        </label>
        <label>
          To
          <input type="text" name="to" defaultValue={f.to} placeholder="ISO time" />
        </label>
        <div className="row">
          <button className="primary" type="submit">
            Apply
          </button>
          <button type="button" onClick={() => (setCursor(null), navigate('/audit'))}>
            Clear
          </button>
        </div>
      </form>
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No audit entry{FILTERS.some((k) => f[k]) ? ' matches these filters' : ' yet'}.</Empty>
          ) : (
            <>
              <table className="grid" aria-label="Audit log">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Actor</th>
                    <th>Action</th>
                    <th>Target</th>
                    <th>Outcome</th>
                    <th>Client</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((e) => (
                    <Fragment key={e.id}>
                      <tr data-audit-action={e.action} data-actor={e.actor}>
                        <td>
                          <Time iso={e.at} />
                        </td>
                        <td>
                          <button className="cell" title="only this actor" onClick={() => narrow({ actor: e.actor })}>
                            {plain(e.actor, 120).text}
                          </button>
                          <div className="muted small">{[e.actorKind, e.role].filter(Boolean).join(' · ')}</div>
                        </td>
                        <td>
                          <button className="cell" title="only this action" onClick={() => narrow({ action: e.action })}>
                            {plain(e.action, 120).text}
                          </button>
                        </td>
                        <td className="small">{e.target === null ? '—' : plain(e.target, 120).text}</td>
                        <td>
                          <Status s={e.outcome === 'success' ? 'succeeded' : 'failed'} /> <span className="muted small">{e.status}</span>
                        </td>
                        <td className="small">
                          {e.ip ?? '—'}
                          {e.userAgent && <div className="muted">{plain(e.userAgent, 60).text}</div>}
                        </td>
                        <td>
                          <button type="button" className="cell" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                            {open === e.id ? 'hide' : 'details'}
                          </button>
                        </td>
                      </tr>
                      {open === e.id && (
                        <tr className="detail-row">
                          <td colSpan={7}>
                            <div className="small muted">
                              {e.method} {e.route}
                            </div>
                            <pre data-testid="audit-details">{plain(JSON.stringify(e.details, null, 2), 4000).text}</pre>
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
              <div className="row">
                <CursorNav cursor={cursor} next={d.next} onPage={setCursor} />
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}
