/**
 * @module simulator/demo
 * The demo tenant behind `npm start`: a simulator whose users generate traffic to Rampart's own webhook
 * endpoint, with an attack injected every few minutes (the first within ~20 s), so a newcomer sees activities and
 * alerts at once. Everything the tenant records (benign traffic, attacks, changes made through the APIs by
 * Rampart's governance actions) is delivered.
 */
import { SCENARIOS, type ScenarioName, type ScenarioResult } from './scenarios.ts';
import type { RecordedEvent } from './tenant.ts';
import type { StreamHandle, StreamStats } from './webhooks.ts';
import { startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';

/** How far back an injected attack starts: longer than the longest scenario (25 minutes). */
const ATTACK_LEAD_MS = 30 * 60_000;

export interface DemoTenantOptions {
  /** Rampart's webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/workplace */
  callbackUrl: string;
  verifyToken: string;
  appSecret: string;
  users?: number;
  eventsPerSec?: number;
  attackEverySecs?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Graph/SCIM token the demo tenant accepts (default random; read it from handle.simulator.accessToken). */
  accessToken?: string;
  /** Port for the simulator's own APIs (default 0 = any free port). */
  port?: number;
  /** How long to keep retrying the verification handshake while Rampart starts (default 60 s). */
  subscribeTimeoutMs?: number;
  /** Days of benign history delivered before the live stream (default 0), so learning has finished. */
  historyDays?: number;
  /** Called once the history is delivered: events replayed, events acknowledged. */
  onHistory?: (replayed: number, acked: number) => void;
  /** Called for each attack as it is injected (for a log line). */
  onAttack?: (r: ScenarioResult) => void;
  /** Bodies in flight (default 2: a demo needs little; raise it for load generation). */
  concurrency?: number;
  /** Events per body (default 1). */
  batchSize?: number;
  /** Stop generating after this many events (load generation); `done` resolves when they have settled. */
  total?: number;
  /** Tenant identity (default: derived from the seed); read back from handle.simulator.org. */
  companyId?: string;
  communityId?: string;
}

export interface DemoTenant {
  simulator: WorkplaceSimulator;
  attacks: ScenarioResult[];
  stats(): StreamStats & { attacks: number };
  /** Resolves when the stream ends (after `total` events, or on stop). */
  done: Promise<StreamStats>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDemoTenant(o: DemoTenantOptions): Promise<DemoTenant> {
  // A long-running demo keeps a bounded security log (about 50,000 events, tens of MB).
  const sim = await startWorkplaceSimulator({ users: o.users ?? 300, seed: o.seed ?? 42, appSecret: o.appSecret, accessToken: o.accessToken, port: o.port ?? 0, maxLogEvents: 50_000, companyId: o.companyId, communityId: o.communityId });
  try {
    const deadline = Date.now() + (o.subscribeTimeoutMs ?? 60_000);
    for (;;) {
      try {
        await sim.webhooks.subscribe(o.callbackUrl, o.verifyToken, { maxAttempts: 8, backoffBaseMs: 500, backoffMaxMs: 15_000, concurrency: o.concurrency ?? 2, batchSize: o.batchSize ?? 1 });
        break;
      } catch (err) {
        if (o.signal?.aborted || Date.now() > deadline) throw err;
        await sleep(1000);
      }
    }
  } catch (err) {
    await sim.close();
    throw err;
  }
  if (o.historyDays) {
    // Past traffic first, so Rampart's baselines and learning period are complete when the live stream starts.
    const history = sim.generator.replay(o.historyDays);
    const report = await sim.webhooks.deliver(
      history.map((e) => e.value),
      { batchSize: 50 },
    );
    o.onHistory?.(history.length, report.ackedKeys.size);
  }
  const pending: RecordedEvent[] = [];
  const off = sim.tenant.onEvent((e) => pending.push(e));
  const stream: StreamHandle = sim.webhooks.stream({
    ratePerSec: o.eventsPerSec ?? 5,
    total: o.total,
    source: (n) => {
      sim.generator.live(n);
      return pending.splice(0);
    },
  });
  const attacks: ScenarioResult[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let next = 0;
  // Incident response: an admin reactivates accounts an attack deactivated a while later, so a long-running demo
  // keeps its population (and the reactivation is one more realistic admin event).
  const restoreLater = (r: ScenarioResult) => {
    const victims = r.values.filter((v) => v.event === 'ADMIN_DEACTIVATE').map((v) => v.target_id!);
    if (!victims.length) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const admin = sim.org.admins.find((a) => a.id !== r.userId);
      for (const id of victims) {
        const u = sim.userById(id);
        if (!u || u.active) continue;
        u.termDate = null;
        const ctx = admin ? { ip: admin.profile.homeIp, country: admin.profile.home, ua: admin.profile.desktopUa, timeMs: sim.clock.now() } : sim.tenant.apiContext();
        sim.tenant.setActive(u, true, admin ?? { integration: true }, ctx);
      }
    }, Math.min((o.attackEverySecs ?? 180) * 1000, 120_000));
    timers.add(t);
  };
  const attack = () => {
    const name: ScenarioName = SCENARIOS[next++ % SCENARIOS.length];
    // Scenarios run forward from their start (impossible travel's second sign-in is 25 minutes later): started
    // half an hour back, every event is in the past when delivered, as a real tenant's would be; started now, the
    // console showed alerts timed 25 minutes in the future.
    void sim.inject(name, { atMs: sim.clock.now() - ATTACK_LEAD_MS }).then(
      (r) => {
        attacks.push(r);
        if (attacks.length > 1000) attacks.splice(0, attacks.length - 1000);
        restoreLater(r);
        o.onAttack?.(r);
      },
      () => undefined,
    );
  };
  // attackEverySecs 0 turns attacks off (pure load generation).
  const every = (o.attackEverySecs ?? 180) * 1000;
  let interval: NodeJS.Timeout | undefined;
  const first =
    every > 0
      ? setTimeout(() => {
          attack();
          interval = setInterval(attack, every);
        }, Math.min(every, 20_000))
      : undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(first);
    if (interval) clearInterval(interval);
    for (const t of timers) clearTimeout(t);
    off();
    await stream.stop({ drain: false });
    await sim.close();
  };
  o.signal?.addEventListener('abort', () => void stop(), { once: true });
  return { simulator: sim, attacks, stats: () => ({ ...stream.stats(), attacks: attacks.length }), done: stream.done, stop };
}
