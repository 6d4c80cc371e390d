/**
 * `rampart posture ...`: the security posture score and its recommendations (docs/posture.md).
 *   posture [list] [--json]                                evaluate now; score and recommendations ranked by points left
 *   posture show <check> [--json]                          one recommendation with evidence and remediation
 *   posture status <check> <status> --reason ...           set a status (to_address, planned, risk_accepted, ...)
 *   posture declare <check> <compliant|not_compliant|none> --justification ...   declare what cannot be observed
 *   posture review <check> <item> --reason ...             mark an integration or external account reviewed
 *   posture trend [--days 30] [--json]                     daily snapshots
 * The CLI evaluates against the configured store; a regression it finds is stored as an alert (not delivered).
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { RampartError } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import { Metrics } from '../../core/metrics.ts';
import { openStore } from '../../store/index.ts';
import { createPostureService, STATUSES, type PostureReport, type PostureService, type PostureStatus, type Recommendation } from '../../posture/index.ts';
import { summarize } from '../../posture/routes.ts';

interface Common {
  config?: string;
  json?: boolean;
  by?: string;
  instance?: string;
}

const defaultBy = (): string => {
  try {
    return `${userInfo().username}@cli`;
  } catch {
    return 'cli';
  }
};

async function withService<T>(o: Common, fn: (svc: PostureService) => Promise<T>): Promise<T> {
  const file = o.config ?? (existsSync('rampart.yaml') ? 'rampart.yaml' : undefined);
  const { config, baseDir } = loadConfig(file);
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr });
  const store = await openStore(config.store, { baseDir });
  const svc = createPostureService(config, { store, logger, metrics: new Metrics(), onAlert: (a) => store.putAlert(a) });
  try {
    return await fn(svc);
  } finally {
    await svc.stop();
    await store.close();
  }
}

const out = (s: string): void => {
  process.stdout.write(s + '\n');
};
const tty = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (s: string, code: number): string => (tty() ? `\x1b[${code}m${s}\x1b[0m` : s);
const RESULT_COLOR = { compliant: 32, not_compliant: 31, unknown: 33 } as const;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

const pct = (p: number | null): string => (p === null ? 'n/a' : `${p}%`);

function printReport(report: PostureReport, o: Common): void {
  // An instance that does not exist is an error, as for `posture show` (an empty table and exit 0 read as "all clear").
  if (o.instance && !report.instances.some((i) => i.instance === o.instance)) {
    throw new RampartError('RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE', [o.instance, report.instances.map((i) => i.instance).join(', ') || 'none']);
  }
  const recs = report.recommendations.filter((r) => !o.instance || r.instance === o.instance);
  if (o.json) {
    out(JSON.stringify({ evaluatedAt: report.evaluatedAt, overall: report.overall, instances: report.instances, recommendations: recs.map(summarize) }, null, 2));
    return;
  }
  out(`Rampart posture score: ${pct(report.overall.pct)} (${report.overall.earned} of ${report.overall.possible} points), evaluated ${report.evaluatedAt}`);
  for (const i of report.instances) {
    out(`  ${i.instance}: ${pct(i.pct)} (${i.earned}/${i.possible}); ${i.counts.compliant} compliant, ${i.counts.notCompliant} not compliant, ${i.counts.unknown} unknown, ${i.counts.declared} declared`);
  }
  out('');
  const rows = [['#', 'LEFT', 'POINTS', 'RESULT', 'SOURCE', 'STATUS', 'INSTANCE', 'CHECK']];
  recs.forEach((r, n) =>
    rows.push([String(n + 1), String(r.pointsLeft), `${r.scoreEarned}/${r.maxScore}`, r.result, r.observed, r.status + (r.conflict ? ' (!)' : ''), r.instance, `${r.id}  ${r.title}`]),
  );
  const text = table(rows)
    .split('\n')
    .map((line, i) => {
      if (i === 0) return paint(line, 1);
      const r = recs[i - 1];
      return line.replace(` ${r.result} `, ` ${paint(r.result, RESULT_COLOR[r.result])} `);
    });
  out(text.join('\n'));
  const conflicts = recs.filter((r) => r.conflict);
  if (conflicts.length) {
    out('');
    for (const r of conflicts) out(`(!) ${r.id}: ${r.conflict}`);
  }
}

function printOne(r: Recommendation, o: Common): void {
  if (o.json) {
    out(JSON.stringify(r, null, 2));
    return;
  }
  out(`${r.title}  [${r.id} on ${r.instance}]`);
  out(`  result: ${r.result} (${r.observed}${r.observed === 'declared' ? `, data says ${r.observedResult}` : ''}); points ${r.scoreEarned}/${r.maxScore}, ${r.pointsLeft} left`);
  out(`  status: ${r.status} (${r.statusSource}${r.statusBy ? ` by ${r.statusBy} ${r.statusAt}: ${r.statusReason}` : ''})`);
  if (r.declaration) out(`  declared ${r.declaration.state} by ${r.declaration.by} ${r.declaration.at}: ${r.declaration.justification}`);
  if (r.conflict) out(`  (!) ${r.conflict}`);
  out(`  ${r.controlCategory} / ${r.actionType} / ${r.tier}; cost ${r.implementationCost}, user impact ${r.userImpact}; threats: ${r.threats.join(', ')}`);
  out(`  observes: ${r.observes}`);
  const counts = Object.entries(r.evidence.counts);
  if (counts.length) out(`  counts: ${counts.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const n of r.evidence.notes) out(`  note: ${n}`);
  if (r.evidence.accountsTotal) {
    out(`  ${r.evidence.accountsTotal} listed${r.evidence.accountsTotal > r.evidence.accounts.length ? ` (first ${r.evidence.accounts.length})` : ''}:`);
    for (const a of r.evidence.accounts) {
      out(`    ${a.email ?? a.name ?? a.id}  ${a.detail}${a.reviewed ? `  reviewed by ${a.reviewed.by} ${a.reviewed.at}` : a.reviewed === null ? '  not reviewed' : ''}`);
    }
  }
  out(`  remediation: ${r.remediation}`);
}

const common = (c: Command): Command =>
  c
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('--instance <id>', 'app instance (default: the only one)')
    .option('--json', 'print JSON');

export function register(program: Command): void {
  const posture = program.command('posture').description('security posture: score, recommendations ranked by points left, statuses and declarations');

  // The default subcommand, so `rampart posture --json` works and each subcommand keeps its own options.
  common(posture.command('list', { isDefault: true }).description('evaluate now; print the score and the recommendations ranked by points left')).action(
    async (o: Common) => {
      const report = await withService(o, (svc) => svc.recompute());
      printReport(report, o);
    },
  );

  common(posture.command('show').description('one recommendation with its evidence and remediation'))
    .argument('<check>', 'check id, e.g. workplace.adopt_sso')
    .action(async (check: string, o: Common) => printOne(await withService(o, async (svc) => (await svc.recompute(), svc.recommendation(check, o.instance))), o));

  common(posture.command('status').description(`set a recommendation's status: ${STATUSES.join(', ')}`))
    .argument('<check>', 'check id')
    .argument('<status>', STATUSES.join(' | '))
    .requiredOption('--reason <text>', 'why (recorded with the status)')
    .option('--by <name>', 'who sets it (default: <os user>@cli)')
    .action(async (check: string, status: string, o: Common & { reason: string }) => {
      if (!(STATUSES as readonly string[]).includes(status)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`status must be one of ${STATUSES.join(', ')}`]);
      const r = await withService(o, async (svc) => {
        await svc.recompute();
        return svc.setStatus(check, { status: status as PostureStatus, reason: o.reason, by: o.by ?? defaultBy(), instance: o.instance });
      });
      printOne(r, o);
    });

  common(posture.command('declare').description('declare a result the data cannot show (applies while the check is unknown)'))
    .argument('<check>', 'check id')
    .argument('<state>', 'compliant | not_compliant | none (withdraw)')
    .option('--justification <text>', 'why you know it (required unless withdrawing)')
    .option('--by <name>', 'who declares it (default: <os user>@cli)')
    .action(async (check: string, state: string, o: Common & { justification?: string }) => {
      if (!['compliant', 'not_compliant', 'none'].includes(state)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['state must be compliant, not_compliant or none']);
      if (state !== 'none' && !o.justification?.trim()) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['a declaration needs --justification']);
      const r = await withService(o, async (svc) => {
        await svc.recompute();
        return svc.declare(check, { state: state === 'none' ? null : (state as 'compliant' | 'not_compliant'), justification: o.justification?.trim() ?? '', by: o.by ?? defaultBy(), instance: o.instance });
      });
      printOne(r, o);
    });

  common(posture.command('review').description('mark an item (integration id, external account id) of a review check reviewed'))
    .argument('<check>', 'check id')
    .argument('<item>', 'integration id or account id, as listed in the evidence')
    .requiredOption('--reason <text>', 'what was checked')
    .option('--by <name>', 'who reviewed it (default: <os user>@cli)')
    .action(async (check: string, item: string, o: Common & { reason: string }) => {
      const r = await withService(o, (svc) => svc.review(check, { item, reason: o.reason, by: o.by ?? defaultBy(), instance: o.instance }));
      printOne(r, o);
    });

  common(posture.command('trend').description('the daily score snapshots'))
    .option('--days <n>', 'how many days back', '30')
    .action(async (o: Common & { days: string }) => {
      const days = Math.max(1, Math.min(3650, Number.parseInt(o.days, 10) || 30));
      const trend = await withService(o, (svc) => svc.trend(days));
      if (o.json) return out(JSON.stringify(trend, null, 2));
      out(table([['DAY', 'SCORE', 'POINTS'], ...trend.map((s) => [s.day, pct(s.overall.pct), `${s.overall.earned}/${s.overall.possible}`])]));
    });
}
