/** Overview: alerts by severity over time, by detection, top risky users, connector health. */
import { useCallback } from 'react';
import { useLive } from '../session.ts';
import { Link } from '../router.tsx';
import { Async, BarChart, Empty, Status, Time, useApi } from '../ui.tsx';

export function OverviewPage() {
  const stats = useApi<any>('/api/alerts/stats?interval=day');
  const top = useApi<{ items: { user: string; priority: { score: number; alerts: number } }[] }>('/api/users/top?limit=10');
  const conns = useApi<{ items: any[] }>('/api/connectors');
  useLive(useCallback(() => stats.reload(), [stats.reload]));
  return (
    <section>
      <h1>Overview</h1>
      <Async r={stats}>
        {(s) => (
          <>
            <div className="cards">
              {/* The count is every alert of the last 30 days (any status, as GET /api/alerts/stats counts): the link opens that list. */}
              {['high', 'medium', 'low', 'informational'].map((sev) => (
                <Link key={sev} className={`card kpi sev-card sev-${sev}`} to={`/alerts?severity=${sev}&period=30d`} title={`${sev} alerts of the last 30 days, any status`}>
                  <div className="big">{s.bySeverity?.[sev] ?? 0}</div>
                  <div>{sev}</div>
                  <div className="muted small">last 30 days</div>
                </Link>
              ))}
              <Link className="card kpi" to="/alerts?status=new&period=30d" title="new alerts of the last 30 days">
                <div className="big">{s.byStatus?.new ?? 0}</div>
                <div>new, to triage</div>
                <div className="muted small">last 30 days</div>
              </Link>
            </div>
            <BarChart
              buckets={s.buckets.map((b: any) => ({ label: b.start.slice(0, 10), values: b.bySeverity }))}
              keys={['high', 'medium', 'low', 'informational']}
              label="Alerts per day by severity"
            />
            <h2>By detection</h2>
            {Object.keys(s.byDetection).length === 0 ? (
              <Empty>No alerts in this period.</Empty>
            ) : (
              <table className="grid compact" aria-label="Alerts by detection">
                <tbody>
                  {Object.entries(s.byDetection as Record<string, number>)
                    .sort((a, b) => b[1] - a[1])
                    .map(([d, n]) => (
                      <tr key={d}>
                        <td>
                          <Link to={`/alerts?detection=${encodeURIComponent(d)}`}>{d}</Link>
                        </td>
                        <td>{n}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Async>
      <div className="cols">
        <div>
          <h2>Top risky users</h2>
          <Async r={top}>
            {(d) =>
              d.items.filter((u) => u.priority.score > 0).length === 0 ? (
                <Empty>No user has an investigation priority above zero.</Empty>
              ) : (
                <ol className="list">
                  {d.items
                    .filter((u) => u.priority.score > 0)
                    .map((u) => (
                    <li key={u.user}>
                      <Link to={`/users/${encodeURIComponent(u.user)}`}>{u.user}</Link> — priority {u.priority.score} ({u.priority.alerts} alerts)
                    </li>
                  ))}
                </ol>
              )
            }
          </Async>
        </div>
        <div>
          <h2>Connector health</h2>
          <Async r={conns}>
            {(d) =>
              d.items.length === 0 ? (
                <Empty>No connector is configured.</Empty>
              ) : (
                <ul className="list">
                  {d.items.map((c) => (
                    <li key={c.connector}>
                      <Link to="/connectors">{c.connector}</Link> <Status s={c.status} /> last event <Time iso={c.lastEventTime} />
                    </li>
                  ))}
                </ul>
              )
            }
          </Async>
        </div>
      </div>
    </section>
  );
}
