/**
 * Rejected input (admin): events that could not be accepted, kept with their code, reason, source and a sample.
 * Samples are attacker-controlled: shown only as text (never HTML), control characters made visible, truncated.
 */
import { useState } from 'react';
import { qs } from '../api.ts';
import { can, useMe } from '../session.ts';
import { Async, CursorNav, Empty, NeedsRole, plain, Time, useApi } from '../ui.tsx';

const PAGE = 100;
const SHORT = 160;
const LONG = 4096; // what the store keeps of a sample

function Sample({ s }: { s: string }) {
  const [open, setOpen] = useState(false);
  const short = plain(s, SHORT);
  return (
    <div>
      <code className="sample" data-testid="reject-sample">
        {open ? plain(s, LONG).text : short.text}
      </code>
      {short.cut && (
        <>
          {' '}
          <button type="button" className="cell" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'less' : `all ${s.length} characters`}
          </button>
        </>
      )}
    </div>
  );
}

export function RejectsPage() {
  const me = useMe();
  const admin = can(me, 'admin');
  // Keyset pages, newest first, as the audit log: the cursor is the API's `next`.
  const [cursor, setCursor] = useState<string | null>(null);
  const r = useApi<{ items: any[]; next: string | null }>(admin ? qs('/api/rejects', { limit: PAGE, cursor }) : null);
  if (!admin) {
    return (
      <section>
        <h1>Rejected input</h1>
        <NeedsRole role="admin" what="rejected input" />
      </section>
    );
  }
  return (
    <section>
      <h1>Rejected input</h1>
      <p className="muted small">Input a connector or webhook received but could not accept (bad JSON, malformed envelope…), kept instead of dropped, newest first.</p>
      <Async r={r}>
        {(d) =>
          d.items.length === 0 ? (
            <Empty>No rejected input: everything received was accepted.</Empty>
          ) : (
            <>
              <table className="grid" aria-label="Rejected input">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Source</th>
                    <th>Code</th>
                    <th>Reason</th>
                    <th>Sample</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((x, i) => (
                    <tr key={x.id ?? i} data-code={x.code}>
                      <td className="small">
                        <Time iso={x.receivedAt} />
                      </td>
                      <td className="small">{plain(x.source, 80).text}</td>
                      <td>
                        <code>{plain(x.code, 80).text}</code>
                      </td>
                      <td className="small">{plain(x.reason, 300).text}</td>
                      <td className="small">
                        <Sample s={x.sample} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="row">
                <span className="muted">
                  {d.items.length} shown{cursor ? '' : ', newest first'}
                  {d.next ? '' : ' (the last of them)'}
                </span>
                <CursorNav cursor={cursor} next={d.next} onPage={setCursor} />
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}
