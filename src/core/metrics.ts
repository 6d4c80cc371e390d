/**
 * @module core/metrics
 * Counters and gauges with bounded label sets, printed in the Prometheus text format.
 * Runtime failures become `rampart_errors_total{component,stage,error_type}` plus one log line, never a crash.
 * Label values must come from closed enums (never raw messages), so the series count stays bounded.
 */

export type Labels = Readonly<Record<string, string>>;

const key = (name: string, labels: Labels): string => {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
};

export class Metrics {
  #counters = new Map<string, number>();
  #gauges = new Map<string, number>();
  #help = new Map<string, string>();

  describe(name: string, help: string): void {
    this.#help.set(name, help);
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const k = key(name, labels);
    this.#counters.set(k, (this.#counters.get(k) ?? 0) + by);
  }

  set(name: string, labels: Labels, value: number): void {
    this.#gauges.set(key(name, labels), value);
  }

  get(name: string, labels: Labels = {}): number {
    const k = key(name, labels);
    return this.#counters.get(k) ?? this.#gauges.get(k) ?? 0;
  }

  /** Sum of a counter over every label set. */
  total(name: string): number {
    let sum = 0;
    for (const [k, v] of this.#counters) if (k === name || k.startsWith(`${name}{`)) sum += v;
    return sum;
  }

  toPrometheus(): string {
    const lines: string[] = [];
    const emit = (map: Map<string, number>, type: string) => {
      const seen = new Set<string>();
      for (const [k, v] of [...map].sort(([a], [b]) => a.localeCompare(b))) {
        const name = k.split('{')[0];
        if (!seen.has(name)) {
          seen.add(name);
          const help = this.#help.get(name);
          if (help) lines.push(`# HELP ${name} ${help}`);
          lines.push(`# TYPE ${name} ${type}`);
        }
        lines.push(`${k} ${v}`);
      }
    };
    emit(this.#counters, 'counter');
    emit(this.#gauges, 'gauge');
    return lines.join('\n') + '\n';
  }
}

/** Stages of the pipeline, a closed set used as a metric label. */
export type Stage = 'receive' | 'fetch' | 'parse' | 'normalize' | 'enrich' | 'store' | 'detect' | 'deliver' | 'act';
