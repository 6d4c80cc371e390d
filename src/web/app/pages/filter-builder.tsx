/** A builder for the policy filter language: fields and operators come from GET /api/filter-language. */
import { useRef, useState } from 'react';
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

/**
 * A condition's value as typed. Controlled: it shows the condition's value, and what is typed becomes the value at
 * once (so validation and Apply see it without leaving the field). The text is kept as typed ("a, " stays) until
 * the value changes from elsewhere.
 */
function ValueInput({ value, kind, arity, invalid, onChange }: { value: unknown; kind: string; arity: string; invalid: boolean; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(() => toText(value));
  const [shown, setShown] = useState(() => JSON.stringify(value ?? null));
  const now = JSON.stringify(value ?? null);
  if (now !== shown) {
    // Replaced from outside (another row's removal never reaches here: rows are keyed by id, not position).
    setShown(now);
    setText(toText(value));
  }
  return (
    <input
      aria-label="Value"
      type="text"
      value={text}
      aria-invalid={invalid || undefined}
      placeholder={arity === 'pair' ? 'from, to' : 'value (a, b = any of)'}
      onChange={(e) => {
        const v = fromText(e.target.value, kind, arity);
        setText(e.target.value);
        setShown(JSON.stringify(v ?? null));
        onChange(v);
      }}
    />
  );
}

/** `invalid`: positions (from 0) of the conditions the validator named, marked in the builder. */
export function FilterBuilder({ value, onChange, invalid }: { value: Condition[]; onChange: (c: Condition[]) => void; invalid?: Set<number> }) {
  const lang = useApi<Language>('/api/filter-language');
  // One stable id per condition, so a row keeps its own inputs when another row is removed. A list replaced from
  // outside with another length gets ids for the new positions.
  const ids = useRef<number[]>([]);
  const nextId = useRef(1);
  if (ids.current.length !== value.length) ids.current = value.map((_, i) => ids.current[i] ?? nextId.current++);
  if (!lang.data) return lang.error ? <p className="state error">{lang.error.message}</p> : null;
  const { fields, operators } = lang.data;
  const kindOf = (f: string) => fields.find((x) => x.name === f)?.kind ?? 'string';
  const opsFor = (f: string) => operators.filter((o) => o.kinds.includes(kindOf(f)));
  const set = (i: number, patch: Partial<Condition>) => onChange(value.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const remove = (i: number) => {
    ids.current = ids.current.filter((_, j) => j !== i);
    onChange(value.filter((_, j) => j !== i));
  };
  const add = () => {
    ids.current = [...ids.current, nextId.current++];
    const field = fields[0]?.name ?? 'action';
    onChange([...value, { field, op: opsFor(field)[0]?.name ?? 'eq', value: '' }]);
  };
  return (
    <fieldset className="builder" aria-label="Filter builder">
      <legend>Filters (policy filter language; all must match)</legend>
      {value.map((c, i) => {
        const op = operators.find((o) => o.name === c.op);
        const bad = invalid?.has(i) ?? false;
        return (
          <div className={bad ? 'row invalid' : 'row'} key={ids.current[i]} data-testid="condition" data-invalid={bad || undefined}>
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
            {op?.arity !== 'none' && <ValueInput value={c.value} kind={kindOf(c.field)} arity={op?.arity ?? 'some'} invalid={bad} onChange={(v) => set(i, { value: v })} />}
            <button type="button" aria-label="Remove condition" onClick={() => remove(i)}>
              ×
            </button>
          </div>
        );
      })}
      <button type="button" onClick={add}>
        Add condition
      </button>
    </fieldset>
  );
}

/** Drops the keys the server fills by default, so URLs stay short. */
export const clean = (c: Condition[]) => c.map(({ not, ...rest }) => (not ? { ...rest, not } : rest));
