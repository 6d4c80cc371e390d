import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan } from '../../scan/scan.ts';
import { INPUT_FORMATS, detectFormat } from '../registry.ts';
import type { Activity } from '../../schema/activity.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-wp-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = (event: string, ts: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    object: 'workplace_security',
    entry: [{ id: '504942447160640', time: 1700000000, changes: [{ field: 'sessions', value: { event, timestamp: ts, actor_id: '1', actor_email: 'a@example.com', target_id: '1', ip: '203.0.113.9', ...extra } }] }],
  });

describe('workplace-webhook input format in rampart scan', () => {
  it('is registered and detected per line', () => {
    expect(INPUT_FORMATS.map((f) => f.id)).toContain('workplace-webhook');
    expect(detectFormat(JSON.parse(body('USER_LOGIN', '2023-11-14T22:13:20+0000')))?.id).toBe('workplace-webhook');
  });

  it('scans webhook bodies (one per line): known and unknown events kept, a malformed envelope rejected', async () => {
    const file = join(dir, 'webhooks.ndjson');
    writeFileSync(
      file,
      [
        body('USER_LOGIN_FAILED', '2023-11-14T22:13:20+0000'),
        body('USER_LOGIN', '2023-11-14T22:13:25+0000'),
        body('BRAND_NEW_EVENT', '2023-11-14T22:13:30+0000'),
        JSON.stringify({ object: 'workplace_security', entry: [{ id: '1', changes: 'oops' }] }),
        body('USER_LOGIN', '2023-11-14T22:13:25+0000'), // a redelivery: same id
      ].join('\n') + '\n',
    );
    const seen: Activity[] = [];
    const result = await runScan(
      { files: [file], maxLineBytes: 1 << 20, sortMemoryEvents: 1000, rejectsPath: null },
      { enricher: { enrich: () => undefined }, engine: { process: (a) => (seen.push(a), []) }, formats: INPUT_FORMATS },
    );
    expect(result.summary.eventsByFormat['workplace-webhook']).toBe(4);
    expect(result.summary.rejectsByCode).toEqual({ RAMPART_ERR_INPUT_INVALID_RECORD: 1 });
    expect(seen.map((a) => [a.action, a.category, a.outcome])).toContainEqual(['USER_LOGIN_FAILED', 'login', 'failure']);
    expect(seen.find((a) => a.action === 'BRAND_NEW_EVENT')?.category).toBe('other');
    expect(seen.every((a) => a.source === 'scan' && a.app === 'workplace')).toBe(true);
  });
});
