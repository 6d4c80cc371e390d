// Checks beyond the shape that the config schema makes, so `rampart config validate` lists what `serve` and
// `scan` would refuse: overlapping or invalid IP ranges, and feeds sharing a name (and so a cache file).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/load.ts';
import { IpRangeConfigSchema } from '../src/config/schema.ts';
import { runCli } from './helpers/cli.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const YAML = [
  'ipRanges:', // 1
  '  - { name: HQ, category: corporate, subnets: ["203.0.113.0/24"] }', // 2
  '  - name: Lab', // 3
  '    category: corporate', // 4
  '    subnets: ["203.0.113.128/25", "10.0.0.0/33"]', // 5
  'feeds:', // 6
  '  - { kind: tor_exit, path: ./a/list.txt }', // 7
  '  - { kind: threat_intel, path: ./b/list.txt }', // 8
].join('\n');

describe('config semantic checks', () => {
  it('lists overlapping and invalid subnets at the range, and feeds with one name, with their lines', () => {
    try {
      parseConfig(YAML, 'rampart.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues.map((i) => `${i.line}: ${i.path}: ${i.message}`);
      expect(issues).toEqual([
        '5: ipRanges.1.subnets: RAMPART_ERR_ENRICH_RANGE_INVALID: IP range Lab has an invalid subnet "10.0.0.0/33"',
        '5: ipRanges.1.subnets: RAMPART_ERR_ENRICH_RANGE_OVERLAP: IP range Lab (203.0.113.128/25) overlaps range HQ (203.0.113.0/24)',
        '8: feeds.1: feed name "list" is also the name of feeds[0]; give each feed its own name',
      ]);
    }
  });

  it('`rampart config validate` fails with them (exit 2), as scan and serve would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-config-'));
    writeFileSync(join(dir, 'rampart.yaml'), YAML);
    const r = await runCli(['config', 'validate', join(dir, 'rampart.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('RAMPART_ERR_ENRICH_RANGE_OVERLAP');
    expect(r.err).toContain('feed name "list"');
    expect(r.out).not.toContain('ok');
  });

  it('refuses control characters and lone surrogates in range names and tags (config and API share the schema)', () => {
    const range = (name: string, tags: string[] = []) => IpRangeConfigSchema.safeParse({ name, category: 'corporate', subnets: ['10.0.0.0/8'], tags }).success;
    expect(range('HQ Paris é 😀', ['Tor exit node'])).toBe(true);
    expect(range('a\u0000b')).toBe(false);
    expect(range('forged\n{"level":50}')).toBe(false);
    expect(range('x\ud800')).toBe(false);
    expect(range('HQ', ['ok', 'bad\u001b[31m'])).toBe(false);
  });
});
