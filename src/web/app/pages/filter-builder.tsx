/** A builder for the policy filter language: fields and operators come from GET /api/filter-language. */
import { useApi } from '../ui.tsx';

export interface Condition {
  field: string;
  op: string;
  value?: unknown;
  not?: boolean;
}

interface Language {
  fields: { name: string; kind: string; label: string }[];
  operators: { name: string; label: string; kinds: string[]; arity: 'none' | 'some' | 'pair' }[];
}

const toText = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v === undefined || v === null ? '' : String(v));
/** "a, b" is a list (OR); numbers and booleans keep their type for numeric and boolean fields. */
function fromText(text: string, kind: string, arity: string): unknown {
  if (arity === 'none') return undefined;
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  const typed = parts.map((p) => (kind === 'number' && !Number.isNaN(Number(p)) ? Number(p) : kind === 'boolean' ? p === 'true' : p));
  if (arity === 'pair') return typed.slice(0, 2);
  return typed.length === 1 ? typed[0] : typed;
}

export function FilterBuilder({ value, onChange }: { value: Condition[]; onChange: (c: Condition[]) => void }) {
  const lang = useApi<Language>('/api/filter-language');
  if (!lang.data) return lang.error ? <p className="state error">{lang.error.message}</p> : null;
  const { fields, operators } = lang.data;
  const kindOf = (f: string) => fields.find((x) => x.name === f)?.kind ?? 'string';
  const opsFor = (f: string) => operators.filter((o) => o.kinds.includes(kindOf(f)));
  const set = (i: number, patch: Partial<Condition>) => onChange(value.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  return (
    <fieldset className="builder" aria-label="Filter builder">
      <legend>Filters (policy filter language; all must match)</legend>
      {value.map((c, i) => {
        const op = operators.find((o) => o.name === c.op);
        return (
          <div className="row" key={i} data-testid="condition">
            <select aria-label="Field" value={c.field} onChange={(e) => set(i, { field: e.target.value, op: opsFor(e.target.value)[0]?.name ?? 'eq' })}>
              {fields.map((f) => (
                <option key={f.name} value={f.name}>
                  {f.label.includes(f.name) ? f.label : `${f.label} (${f.name})`}
                </option>
              ))}
            </select>
            <label className="inline">
              <input type="checkbox" checked={Boolean(c.not)} onChange={(e) => set(i, { not: e.target.checked || undefined })} /> not
            </label>
            <select aria-label="Operator" value={c.op} onChange={(e) => set(i, { op: e.target.value })}>
              {opsFor(c.field).map((o) => (
                <option key={o.name} value={o.name}>
                  {o.label}
                </option>
              ))}
            </select>
            {op?.arity !== 'none' && (
              <input
                aria-label="Value"
                type="text"
                defaultValue={toText(c.value)}
                placeholder={op?.arity === 'pair' ? 'from, to' : 'value (a, b = any of)'}
                onBlur={(e) => set(i, { value: fromText(e.target.value, kindOf(c.field), op?.arity ?? 'some') })}
              />
            )}
            <button type="button" aria-label="Remove condition" onClick={() => onChange(value.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...value, { field: fields[0]?.name ?? 'action', op: opsFor(fields[0]?.name ?? 'action')[0]?.name ?? 'eq', value: '' }])}>
        Add condition
      </button>
    </fieldset>
  );
}

/** Drops the keys the server fills by default, so URLs stay short. */
export const clean = (c: Condition[]) => c.map(({ not, ...rest }) => (not ? { ...rest, not } : rest));
