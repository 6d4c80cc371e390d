/**
 * @module proxy/policy/filters
 * The one place session policies touch the activity-policy filter language (src/detect/policy): activity
 * conditions compile with its `compileFilter`, and file conditions (name, extension, MIME type) use its
 * operator registry, so both read and behave the same. Switching filter implementations means editing this file.
 */
import { z } from 'zod';
import type { Activity } from '../../schema/activity.ts';
import { compileFilter, FiltersSchema, OPERATORS, OPERATOR_NAMES, type FilterEnv } from '../../detect/policy/index.ts';

export { FiltersSchema as ActivityFiltersSchema, type FilterEnv };

export interface ActivityPredicate {
  test(a: Activity): boolean;
  explain(a: Activity): string[];
}

export function compileActivityFilters(filters: z.output<typeof FiltersSchema>, env: FilterEnv): ActivityPredicate {
  const f = compileFilter(filters, env);
  return { test: f.test, explain: (a) => f.explain(a) };
}

export const FILE_FIELDS = ['file.name', 'file.extension', 'file.mimeType'] as const;
export type FileField = (typeof FILE_FIELDS)[number];

export const FileConditionSchema = z
  .object({
    field: z.enum(FILE_FIELDS),
    op: z.enum(OPERATOR_NAMES),
    value: z.union([z.string().max(4096), z.array(z.string().max(4096)).min(1).max(1000)]).optional(),
    not: z.boolean().default(false),
  })
  .strict();
export type FileCondition = z.output<typeof FileConditionSchema>;

/** What the proxy knows about a file in a download or upload. */
export interface FileFacts {
  name: string | null;
  /** Lower-case, without the dot. */
  extension: string | null;
  mimeType: string | null;
  /** Null when the size is not known before the body has passed (no Content-Length). */
  sizeBytes: number | null;
}

export interface FilePredicate {
  test(f: FileFacts): boolean;
  text: string[];
}

const read = (f: FileFacts, field: FileField): string | null =>
  field === 'file.name' ? f.name : field === 'file.extension' ? f.extension : f.mimeType;

/** Compiles file conditions with the activity-policy operators; throws Error with the condition index. */
export function compileFileConditions(conds: readonly FileCondition[]): FilePredicate {
  const tests = conds.map((c, i) => {
    const op = OPERATORS[c.op];
    if (!op.kinds.includes('string')) throw new Error(`file condition ${i}: operator ${c.op} does not apply to ${c.field}`);
    const values = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value];
    const vt = op.compile(c.field === 'file.extension' ? values.map((v) => v.replace(/^\./, '')) : values, 'string');
    const missing = c.not ? !op.matchesMissing : op.matchesMissing;
    return (f: FileFacts) => {
      const v = read(f, c.field);
      if (!v) return missing;
      return c.not ? !vt(v) : vt(v);
    };
  });
  return {
    test: (f) => tests.every((t) => t(f)),
    text: conds.map((c) => `${c.not ? 'NOT ' : ''}${c.field} ${OPERATORS[c.op].label} ${JSON.stringify(c.value ?? '')}`),
  };
}
