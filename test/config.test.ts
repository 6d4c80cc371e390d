// The config schema is the single source: strict, every problem listed with its path and position, defaults
// valid, secrets never literal, and docs/config.md documents every top-level key.
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, configJsonSchema } from '../src/config/schema.ts';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load.ts';
import { readSecret } from '../src/config/secret.ts';

describe('config', () => {
  it('has valid defaults for an empty file', () => {
    const c = parseConfig('');
    expect(c.store).toEqual({ driver: 'sqlite', path: './data/rampart.db' });
    expect(c.retentionDays).toBe(180);
    expect(c.detections.learningDays).toBe(7);
  });

  it('rejects unknown keys and lists every problem with path, line and column', () => {
    try {
      parseConfig('store: { driver: sqlite, path: x.db }\nbogus: 1\nserver:\n  port: "x"\n', 'rampart.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issues = (e as ConfigError).issues;
      expect(issues.map((i) => i.path).sort()).toEqual(['bogus', 'server.port']);
      expect(issues.find((i) => i.path === 'bogus')).toMatchObject({ message: 'unknown key', line: 2 });
      const port = issues.find((i) => i.path === 'server.port')!;
      expect([port.line, port.col]).toEqual([4, 9]);
      expect((e as ConfigError).code).toBe('RAMPART_ERR_CONFIG_INVALID');
      expect((e as Error).message).toContain('rampart.yaml:4:9');
    }
  });

  it('keeps retention periods whole days within 1..36500, reported at the key', () => {
    expect(parseConfig('').logRetentionDays).toBe(365);
    for (const bad of ['logRetentionDays: 0', 'logRetentionDays: 1.5', 'logRetentionDays: "365"', 'retentionDays: 40000']) {
      try {
        parseConfig(bad + '\n', 'r.yaml');
        expect.unreachable(bad);
      } catch (e) {
        expect((e as ConfigError).code).toBe('RAMPART_ERR_CONFIG_INVALID');
        expect((e as ConfigError).issues.map((i) => i.path)).toEqual([bad.split(':')[0]]);
      }
    }
  });

  it('bounds the scan sort memory (events and bytes), reported at the key', () => {
    expect(parseConfig('').scan).toEqual({ maxLineBytes: 1024 * 1024, sortMemoryEvents: 500_000, sortMemoryBytes: 256 * 1024 * 1024 });
    expect(parseConfig('scan: { sortMemoryBytes: 1048576 }\n').scan.sortMemoryBytes).toBe(1024 * 1024);
    for (const bad of ['sortMemoryBytes: 1000', 'sortMemoryBytes: 1e12', 'sortMemoryBytes: 2.5', 'sortMemoryBytes: "256M"', 'sortMemoryEvents: 10']) {
      try {
        parseConfig(`scan: { ${bad} }\n`, 'r.yaml');
        expect.unreachable(bad);
      } catch (e) {
        expect((e as ConfigError).code).toBe('RAMPART_ERR_CONFIG_INVALID');
        expect((e as ConfigError).issues.map((i) => i.path)).toEqual([`scan.${bad.split(':')[0]}`]);
      }
    }
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseConfig('store: {driver: sqlite\n', 'bad.yaml')).toThrow(/bad\.yaml:\d+:\d+/);
  });

  it('refuses a YAML alias bomb as an invalid config, not a crash', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    try {
      parseConfig(levels.join('\n') + '\n', 'bomb.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).code).toBe('RAMPART_ERR_CONFIG_INVALID');
      expect((e as Error).message).toMatch(/^configuration is invalid: bomb\.yaml \(root\): Excessive alias count/);
    }
  });

  it('never accepts a literal secret', () => {
    const r = ConfigSchema.safeParse({ connectors: { workplace: { appSecret: 'hunter2' } } });
    expect(r.success).toBe(false);
    expect(ConfigSchema.safeParse({ connectors: { workplace: { appSecret: { env: 'WP_SECRET' } } } }).success).toBe(true);
  });

  it('reads secrets from env vars or files and names where it looked, never the value', () => {
    expect(readSecret({ env: 'X_SECRET' }, 'appSecret', { X_SECRET: 's3cret' })).toBe('s3cret');
    const dir = mkdtempSync(join(tmpdir(), 'rampart-secret-'));
    writeFileSync(join(dir, 'tok'), 'from-file\n');
    expect(readSecret({ file: join(dir, 'tok') }, 'token')).toBe('from-file');
    expect(() => readSecret({ env: 'NOPE_NOT_SET' }, 'appSecret', {})).toThrow(/environment variable NOPE_NOT_SET/);
  });

  it('resolves relative paths against the config file folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-cfg-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'store: { driver: sqlite, path: ./db/r.db }\nfeeds:\n  - { kind: tor_exit, path: feeds/tor.txt }\n');
    const { config } = loadConfig(join(dir, 'rampart.yaml'));
    expect(config.store.driver === 'sqlite' && config.store.path).toBe(join(dir, 'db/r.db'));
    expect(config.feeds[0].path).toBe(join(dir, 'feeds/tor.txt'));
  });

  it('prints a JSON Schema that rejects additional properties', () => {
    const s = configJsonSchema() as { type: string; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it('docs/config.md documents every top-level key', () => {
    const doc = readFileSync(new URL('../docs/config.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^### `([A-Za-z]+)`/gm)].map((m) => m[1]));
    expect(Object.keys(ConfigSchema.shape).filter((k) => !documented.has(k))).toEqual([]);
    expect([...documented].filter((k) => !(k in ConfigSchema.shape))).toEqual([]);
  });
});
