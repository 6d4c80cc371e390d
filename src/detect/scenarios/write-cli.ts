/**
 * Writes the benign and the attack scenario as files for `rampart scan` and prints what the engine raises on
 * them directly (a reference for the scan run):
 *   node --import tsx src/detect/scenarios/write-cli.ts [outDir=.bench-tmp/scenarios]
 * Each scenario directory holds activities.ndjson (the `rampart` format), directory.json, config.json
 * (detections + ipRanges) and expectations.json (required/forbidden alerts, benign budget).
 */
import { join } from 'node:path';
import { DetectionEngine } from '../engine.ts';
import { ATTACKS, generateScenario, writeScenario } from './generator.ts';

const out = process.argv[2] ?? '.bench-tmp/scenarios';
for (const s of [generateScenario({ seed: 7 }), generateScenario({ seed: 11, attacks: ATTACKS })]) {
  const paths = writeScenario(join(out, s.name), s);
  const engine = new DetectionEngine({ config: s.detections });
  engine.setDirectory(s.directory);
  const alerts = new Map<string, { detection: string; user: string | null; severity: string; title: string }>();
  for (const a of s.activities) for (const al of engine.process(a)) alerts.set(al.id, al);
  process.stdout.write(`${s.name}: ${s.activities.length} activities, ${s.directory.length} users, ${s.userDays} user-days -> ${paths.activities}\n`);
  for (const al of alerts.values()) process.stdout.write(`  ${al.detection.padEnd(22)} ${al.severity.padEnd(7)} ${String(al.user).padEnd(26)} ${al.title}\n`);
}
