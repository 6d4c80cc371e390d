/**
 * `rampart policy validate|list|test|schema`: lint policy files with file:line:col, list them, backtest a
 * policy over the stored history, print the policy JSON Schema.
 */
import { escapeControls } from '../../core/text.ts';
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../../config/load.ts';
import { RampartError } from '../../core/errors.ts';
import { openStore } from '../../store/index.ts';
import { backtest, backtestScan, storeActivities, warmupStart, type BacktestReport } from '../../detect/policy/backtest.ts';
import { DirectoryIndex, type FilterEnv } from '../../detect/policy/fields.ts';
import { formatIssue, loadPolicies } from '../../detect/policy/load.ts';
import { policyJsonSchema } from '../../detect/policy/schema.ts';

const DURATION = /^(\d+)\s*(m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `90m`, `2w`, or an ISO date/time → ISO instant. */
export function parseSince(text: string, now: Date = new Date()): string {
  const m = DURATION.exec(text.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * UNIT_MS[m[2]]).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new RampartError('RAMPART_ERR_POLICY_INVALID', ['--since', `${JSON.stringify(text)} is neither a duration like 30d nor an ISO date`]);
  return new Date(t).toISOString();
}

function configFor(file: string | undefined): LoadedConfig {
  return loadConfig(file);
}

const envOf = (c: LoadedConfig): FilterEnv => ({ orgDomains: c.config.organization.domains });

interface CommonOpts {
  config?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const policy = program.command('policy').description('activity policies: validate, list, backtest');

  policy
    .command('validate')
    .description('lint policy files (errors and warnings with file:line:col); exit 2 on errors')
    .argument('[paths...]', 'policy files or folders (default: policies.directory from the config)')
    .option('-c, --config <file>', 'config file (policies folder, organization.domains)')
    .option('--json', 'print issues as JSON')
    .action((paths: string[], opts: CommonOpts) => {
      const cfg = configFor(opts.config);
      const r = loadPolicies(paths.length ? paths : [cfg.config.policies.directory], envOf(cfg));
      const errors = r.issues.filter((i) => i.level === 'error').length;
      const warnings = r.issues.length - errors;
      if (opts.json) process.stdout.write(JSON.stringify({ files: r.files, policies: r.policies.map((p) => p.policy.name), issues: r.issues }, null, 2) + '\n');
      else {
        for (const i of r.issues) (i.level === 'error' ? process.stderr : process.stdout).write(formatIssue(i) + '\n');
        process.stdout.write(`${r.files.length} file(s), ${r.policies.length} valid polic${r.policies.length === 1 ? 'y' : 'ies'}, ${errors} error(s), ${warnings} warning(s)\n`);
      }
      if (errors) process.exitCode = 2;
    });

  policy
    .command('list')
    .description('list the policies in the policies folder (or the given paths)')
    .argument('[paths...]', 'policy files or folders')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'print JSON')
    .action((paths: string[], opts: CommonOpts) => {
      const cfg = configFor(opts.config);
      const r = loadPolicies(paths.length ? paths : [cfg.config.policies.directory], envOf(cfg));
      if (opts.json) {
        process.stdout.write(JSON.stringify(r.policies.map((p) => ({ ...p.policy, file: p.file, line: p.line })), null, 2) + '\n');
      } else {
        const rows = r.policies.map((p) => [
          p.policy.name,
          p.policy.enabled ? 'on' : 'off',
          p.policy.severity,
          p.policy.category,
          p.policy.actOn.mode === 'single' ? 'single' : `${p.policy.actOn.minCount} in ${p.policy.actOn.windowSecs}s`,
          `${p.file}:${p.line}`,
        ]);
        printTable(['NAME', 'ENABLED', 'SEVERITY', 'CATEGORY', 'ACT ON', 'FILE'], rows);
        for (const i of r.issues.filter((x) => x.level === 'error')) process.stderr.write(formatIssue(i) + '\n');
      }
      if (r.issues.some((i) => i.level === 'error')) process.exitCode = 2;
    });

  policy
    .command('test')
    .description('backtest a policy file over the stored history: what it would have raised, per day, with samples')
    .argument('<file>', 'policy file (one or more policies)')
    .option('--since <when>', 'start: a duration back from now (30d, 12h) or an ISO date', '30d')
    .option('--until <when>', 'end (exclusive): ISO date; default now')
    .option('-c, --config <file>', 'config file (store, organization.domains)')
    .option('--samples <n>', 'sample alerts to show', '10')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: CommonOpts & { since: string; until?: string; samples: string }) => {
      const cfg = configFor(opts.config);
      const env = envOf(cfg);
      const loaded = loadPolicies([file], env);
      const errors = loaded.issues.filter((i) => i.level === 'error');
      for (const i of loaded.issues) process.stderr.write(formatIssue(i) + '\n');
      if (errors.length || !loaded.policies.length) {
        if (!loaded.policies.length && !errors.length) process.stderr.write(`${file}: no policy found\n`);
        process.exitCode = 2;
        return;
      }
      const from = parseSince(opts.since);
      const to = opts.until ? parseSince(opts.until) : new Date().toISOString();
      const store = await openStore(cfg.config.store, { baseDir: cfg.baseDir });
      try {
        const directory = new DirectoryIndex(await store.listDirectoryUsers());
        const policies = loaded.policies.map((p) => p.policy);
        // Read one longest window early so repeated-activity windows are warm at `from` (not reported).
        const scan = backtestScan(policies, warmupStart(policies, from), to);
        const report = await backtest(policies, storeActivities(store, scan), {
          reportFrom: from,
          env: { ...env, directoryUser: directory.lookup },
          sampleSize: Math.max(0, Number(opts.samples) || 0),
          autoDisable: { maxMatchesPerDay: cfg.config.policies.autoDisableMatchesPerDay, maxMatchesPer3Hours: cfg.config.policies.autoDisableMatchesPer3Hours },
        });
        if (opts.json) process.stdout.write(JSON.stringify({ from, to, scan, ...report }, null, 2) + '\n');
        else printReport(report, from, to);
      } finally {
        await store.close();
      }
    });

  policy
    .command('schema')
    .description('print the JSON Schema of a policy document')
    .action(() => {
      process.stdout.write(JSON.stringify(policyJsonSchema(), null, 2) + '\n');
    });
}

function printReport(r: BacktestReport, from: string, to: string): void {
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`Backtest of ${r.policies.join(', ')} from ${from} to ${to}`);
  out(`${r.scanned} activities read from the store in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.eventsPerSec}/s): ${r.matches} matches, ${r.alerts} alerts`);
  for (const [name, s] of Object.entries(r.perPolicy)) {
    out(`  ${name}: ${s.matches} matches, ${s.alerts} alerts, ${s.suppressedByDailyLimit} over the daily limit, ${s.suppressedByWindow} in cool-down`);
  }
  for (const d of r.autoDisabled) out(`  AUTO-DISABLED at ${d.at}: ${d.message}`);
  if (r.perDay.length) {
    out('');
    printTable(['DAY', 'MATCHES', 'ALERTS'], r.perDay.map((d) => [d.day, String(d.matches), String(d.alerts)]));
  }
  if (r.samples.length) {
    out('\nSample alerts:');
    for (const s of r.samples) {
      // Titles and evidence quote event data: escaped, so a line break or terminal escape in it stays visible text.
      out(`- ${s.time} [${s.severity}] ${escapeControls(s.title)}`);
      for (const e of s.evidence) out(`    ${escapeControls(e)}`);
    }
  }
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
}
