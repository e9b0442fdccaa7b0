// What every panel form has in common: the fields it shows, a zod schema for the submitted strings,
// the values the form starts with (read from the model), and the edits a submission makes. Edits are
// emitted only for fields whose value differs from what the form was showing, so a save changes only
// the lines the user actually changed (and a key written as `0` is not rewritten as absent).
import { ZodError, type z, type ZodType } from 'zod';
import type { Diagnostic, Edit, EditValue, Target } from '../../lvs-cf/index.ts';
import { fieldErrors, formStrings, type FieldErrors } from './fields.ts';

export type Values = Record<string, string>;

export interface PanelForm<C> {
  fields: readonly string[];
  schema: z.ZodType<Values, Values>;
  initial(ctx: C): Values;
  edits(values: Values, initial: Values, ctx: C): Edit[];
  /** lvs.cf key → form field, to place the library's diagnostics beside the right field. */
  keyToField: Record<string, string>;
}

export type Validated = { ok: true; values: Values; raw: Values } | { ok: false; errors: FieldErrors; raw: Values };

/**
 * Checks a submission. With `initial` (the values the form was showing), a field the user left as
 * it was is not checked: it holds what the file says, which the daemons accept even where a typed
 * value would be refused (a non-ASCII name, a port the daemons read as 0), and it is not written.
 */
export function validateForm<C>(form: PanelForm<C>, body: unknown, initial?: Values): Validated {
  const raw = formStrings(body, form.fields);
  const result = form.schema.safeParse(raw);
  if (result.success) return { ok: true, values: result.data, raw };
  if (!initial) return { ok: false, errors: fieldErrors(result.error), raw };
  // A field is let through only when it is unchanged and its own check is what fails; the checks
  // across fields (NAT needs a router, …) still apply to it.
  const shape = (form.schema as unknown as { shape: Record<string, ZodType<string, string>> }).shape;
  const own = new Map(form.fields.map((f) => [f, shape[f]!.safeParse(raw[f])]));
  const exempt = (f: PropertyKey | undefined) => typeof f === 'string' && raw[f] === initial[f] && own.get(f)?.success === false;
  const issues = result.error.issues.filter((i) => !exempt(i.path[0]));
  if (issues.length) return { ok: false, errors: fieldErrors(new ZodError(issues)), raw };
  const values: Values = {};
  for (const f of form.fields) {
    const one = own.get(f)!;
    values[f] = one.success ? one.data : raw[f]!;
  }
  return { ok: true, values, raw };
}

/** Validates one field alone (inline validation on blur); returns its message or ''. */
export function validateField<C>(form: PanelForm<C>, field: string, value: string): string {
  if (!form.fields.includes(field)) return '';
  const raw = Object.fromEntries(form.fields.map((f) => [f, ''])) as Values;
  raw[field] = value;
  const result = form.schema.safeParse(raw);
  if (result.success) return '';
  return fieldErrors(result.error)[field] ?? '';
}

/**
 * The `keyToField` of a form whose fields are named after the lvs.cf keys they edit, with `renamed`
 * for the keys whose field has another name (`nat_router` → `nat_ip`). A field that edits no key
 * of its own (a part of one, like `device` of `address`) is listed too, but no diagnostic names it.
 */
export function fieldsByKey(fields: readonly string[], renamed: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(fields.map((f) => [f, f])), ...renamed };
}

/**
 * A panel form whose fields are the keys of `schema` (a zod object of strings, refined or not), in
 * its order, named after the lvs.cf keys they edit (`renamed` as for fieldsByKey).
 */
export function panelForm<C>(
  schema: z.ZodObject<Record<string, ZodType<string, string>>>,
  parts: Pick<PanelForm<C>, 'initial' | 'edits'>,
  renamed: Record<string, string> = {},
): PanelForm<C> {
  const fields = Object.keys(schema.shape);
  return { fields, schema: schema as unknown as PanelForm<C>['schema'], keyToField: fieldsByKey(fields, renamed), ...parts };
}

/** The `set` edits of one element: the global section, a virtual server or a real server. */
export function setterOf(target: Target): (key: string, value: EditValue) => Edit {
  return (key, value) => ({ op: 'set', target, key, value });
}

export function changed(values: Values, initial: Values, ...names: string[]): boolean {
  return names.some((n) => values[n] !== initial[n]);
}

function sameTarget(a: Target | undefined, b: Target | undefined): boolean {
  if (!a || !b) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Splits diagnostics into field errors (a key this form shows, on the element being edited) and
 * messages for the top of the form (everything else: other elements, whole-file problems).
 */
export function placeDiagnostics(
  diagnostics: Diagnostic[],
  keyToField: Record<string, string>,
  target: Target | undefined,
): { errors: FieldErrors; messages: string[] } {
  const errors: FieldErrors = {};
  const messages: string[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    const field = d.key ? keyToField[d.key] : undefined;
    if (field && (target === undefined || d.target === undefined || sameTarget(d.target, target))) {
      if (!(field in errors)) errors[field] = d.message;
    } else {
      messages.push(d.line > 0 ? `lvs.cf line ${d.line}: ${d.message}` : d.message);
    }
  }
  return { errors, messages };
}
