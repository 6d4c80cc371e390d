/** Activities on a time axis (dots) with the list below; each row links to its pivots in the activity log. */
import { Link } from '../router.tsx';
import { Time } from '../ui.tsx';

export function Timeline({ items }: { items: any[] }) {
  const sorted = [...items].sort((a, b) => a.time.localeCompare(b.time));
  const t0 = Date.parse(sorted[0]?.time ?? '');
  const t1 = Date.parse(sorted[sorted.length - 1]?.time ?? '');
  const span = Math.max(1, t1 - t0);
  return (
    <div className="timeline" data-testid="timeline">
      <svg viewBox="0 0 640 36" role="img" aria-label={`Timeline of ${items.length} activities`}>
        <line x1="10" x2="630" y1="18" y2="18" className="axis" />
        {sorted.map((a) => (
          <circle key={a.id} cx={10 + ((Date.parse(a.time) - t0) / span) * 620} cy="18" r="5" className={`dot out-${a.outcome}`}>
            <title>{`${a.time} ${a.action} ${a.ip ?? ''}`}</title>
          </circle>
        ))}
      </svg>
      <ol>
        {sorted.map((a) => (
          <li key={a.id}>
            <Time iso={a.time} /> <strong>{a.action}</strong> ({a.outcome}) by{' '}
            <Link to={`/users/${encodeURIComponent(a.actor.email ?? a.actor.id ?? '')}`}>{a.actor.email ?? a.actor.id}</Link>
            {a.ip && (
              <>
                {' '}
                from <Link to={`/activities?ip=${encodeURIComponent(a.ip)}`}>{a.ip}</Link>
              </>
            )}
            {a.geo?.country && ` (${[a.geo.city, a.geo.country].filter(Boolean).join(', ')})`}
          </li>
        ))}
      </ol>
    </div>
  );
}
