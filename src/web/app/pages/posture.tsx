/** Security posture: score with its daily trend, recommendations ranked by points left, evidence and status editing. */
import { Fragment, useState } from 'react';
import { api, type ApiError } from '../api.ts';
import { can, useMe } from '../session.ts';
import { useQueryState } from '../router.tsx';
import { Async, Empty, ErrorBox, LineChart, Status, Time, useApi } from '../ui.tsx';

const STATUSES = ['to_address', 'planned', 'risk_accepted', 'resolved_through_third_party', 'resolved_through_alternate_mitigation', 'completed'];
const pct = (l: { pct: number | null; earned: number; possible: number }) => (l.pct === null ? '—' : `${l.pct.toFixed(1)}%`) + ` (${l.earned} / ${l.possible} points)`;

function Recommendation({ id, onChanged }: { id: string; onChanged: () => void }) {
  const me = useMe();
  const r = useApi<any>(`/api/posture/recommendations/${encodeURIComponent(id)}`);
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [declState, setDeclState] = useState('');
  const [justification, setJustification] = useState('');
  // What Rampart cannot observe (no settings API in Workplace) an admin may declare, with a justification; the
  // page always says whether a result is observed or declared.
  const declare = async (state: string | null) => {
    setError(null);
    try {
      await api('PUT', `/api/posture/recommendations/${encodeURIComponent(id)}/declaration`, { state, justification });
      setJustification('');
      r.reload();
      onChanged();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const save = async () => {
    setError(null);
    try {
      await api('PUT', `/api/posture/recommendations/${encodeURIComponent(id)}/status`, { status, reason });
      setReason('');
      r.reload();
      onChanged();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <Async r={r}>
      {(x) => (
        <div className="card rec-detail" data-testid="recommendation">
          <h3>{x.title}</h3>
          <p>
            <Status s={x.result} /> ({x.observed}) · {x.scoreEarned} of {x.maxScore} points · status <Status s={x.status} />
            {x.statusBy ? ` set by ${x.statusBy}` : ''} {x.statusReason ? `— “${x.statusReason}”` : ''}
          </p>
          {x.conflict && <p className="state warn">{x.conflict}</p>}
          <h4>What Rampart observes</h4>
          <p>{x.observes}</p>
          <h4>Evidence</h4>
          <ul>
            {Object.entries(x.evidence.counts).map(([k, v]) => (
              <li key={k}>
                {k}: {String(v)}
              </li>
            ))}
            {x.evidence.notes.map((n: string, i: number) => (
              <li key={'n' + i}>{n}</li>
            ))}
          </ul>
          {x.evidence.accounts.length > 0 && (
            <table className="grid compact" aria-label="Accounts involved">
              <tbody>
                {x.evidence.accounts.slice(0, 50).map((a: any) => (
                  <tr key={a.id}>
                    <td>{a.email ?? a.name ?? a.id}</td>
                    <td>{a.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h4>Remediation</h4>
          <p className="pre">{x.remediation}</p>
          <p className="muted small">
            Cost {x.implementationCost}, user impact {x.userImpact}, threats {x.threats.join(', ')}
          </p>
          {can(me, 'admin') && (
            <form className="filters" aria-label="Set status" onSubmit={(e) => (e.preventDefault(), void save())}>
              <label>
                Status
                <select name="status" value={status} onChange={(e) => setStatus(e.target.value)} required>
                  <option value="">choose…</option>
                  {STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Why
                <input name="reason" type="text" value={reason} onChange={(e) => setReason(e.target.value)} required />
              </label>
              <button className="primary" type="submit">
                Set status
              </button>
            </form>
          )}
          {x.declaration && (
            <p className="state warn">
              Declared {x.declaration.state.replace(/_/g, ' ')} by {x.declaration.by} (<Time iso={x.declaration.at} />): “{x.declaration.justification}”
            </p>
          )}
          {can(me, 'admin') && (
            <form className="filters" aria-label="Declare the result" onSubmit={(e) => (e.preventDefault(), void declare(declState))}>
              <label>
                Declare
                <select name="declaration" value={declState} onChange={(e) => setDeclState(e.target.value)} required>
                  <option value="">choose…</option>
                  <option value="compliant">compliant</option>
                  <option value="not_compliant">not compliant</option>
                </select>
              </label>
              <label>
                Justification
                <input name="justification" type="text" value={justification} onChange={(e) => setJustification(e.target.value)} required />
              </label>
              <button type="submit">Declare</button>
              {x.declaration && (
                <button type="button" onClick={() => void declare(null)}>
                  Withdraw declaration
                </button>
              )}
            </form>
          )}
          <ErrorBox error={error} />
          {x.controlStateUpdates.length > 0 && (
            <ul className="history small">
              {x.controlStateUpdates.map((u: any, i: number) => (
                <li key={i}>
                  <Time iso={u.at} /> {u.by}: {u.status.replace(/_/g, ' ')} — {u.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Async>
  );
}

export function PosturePage() {
  const me = useMe();
  const [q, setQ] = useQueryState();
  const score = useApi<any>('/api/posture?days=90');
  const recs = useApi<{ items: any[] }>('/api/posture/recommendations');
  const [error, setError] = useState<ApiError | null>(null);
  const open = q.get('rec');
  const recompute = async () => {
    try {
      await api('POST', '/api/posture/recompute');
      score.reload();
      recs.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <section>
      <h1>Security posture</h1>
      <ErrorBox error={error} />
      <Async r={score}>
        {(s) => (
          <div className="cards">
            <div className="card kpi">
              <div className="big" data-testid="posture-score">
                {s.overall.pct === null ? '—' : `${Math.round(s.overall.pct)}%`}
              </div>
              <div>Rampart score: {pct(s.overall)}</div>
              <div className="muted small">
                evaluated <Time iso={s.evaluatedAt} />
              </div>
              {can(me, 'analyst') && <button onClick={() => void recompute()}>Recompute now</button>}
              <ul className="small">
                {s.instances.map((i: any) => (
                  <li key={i.instance}>
                    {i.instance}: {pct(i)}
                  </li>
                ))}
              </ul>
            </div>
            <div className="card grow">
              {s.trend.length ? (
                <LineChart points={s.trend.map((t: any) => ({ label: t.day, value: t.overall.pct }))} label="Score per day (%)" />
              ) : (
                <Empty>No daily snapshot yet.</Empty>
              )}
            </div>
          </div>
        )}
      </Async>
      <h2>Recommendations (by points left)</h2>
      <Async r={recs}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No posture checks evaluated yet.</Empty>
          ) : (
            <table className="grid" aria-label="Recommendations">
              <thead>
                <tr>
                  <th>Recommendation</th>
                  <th>Category</th>
                  <th>Result</th>
                  <th>Points</th>
                  <th>Points left</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((x) => (
                  <Fragment key={x.id + x.instance}>
                    <tr data-rec={x.id} aria-selected={open === x.id}>
                      <td>
                        <button className="cell" onClick={() => setQ({ rec: open === x.id ? null : x.id })} aria-expanded={open === x.id}>
                          {x.title}
                        </button>
                      </td>
                      <td>{x.controlCategory}</td>
                      <td>
                        <Status s={x.result} /> {x.observed === 'declared' ? <span className="badge">declared</span> : null}
                      </td>
                      <td>
                        {x.scoreEarned} / {x.maxScore}
                      </td>
                      <td>{x.pointsLeft}</td>
                      <td>
                        <Status s={x.status} />
                      </td>
                    </tr>
                    {open === x.id && (
                      <tr>
                        <td colSpan={6}>
                          <Recommendation id={x.id} onChanged={() => (score.reload(), recs.reload())} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </section>
  );
}
