import type { ConfigProperty, ConfigSchema, Mode } from './api/types.js';

/** What the API answers in place of a stored secret. */
export const SECRET_MASK = '••••••••';

export interface FieldSpec {
  key: string;
  prop: ConfigProperty;
  required: boolean;
}

/** A validation problem: a message key of the ui catalog and its parameters. */
export interface Problem {
  key: string;
  params?: Record<string, unknown>;
}

/** Every property of the schema, in declaration order. */
export function fieldsOf(schema: ConfigSchema): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, prop]) => ({
    key,
    prop,
    required: required.has(key),
  }));
}

/**
 * Which fields a mode shows. Advanced: all. Novice: the ones a person has to
 * decide — required fields, and optional ones that have no default unless the
 * author marked them `advanced`; everything else keeps its (strong) default.
 */
export function isVisible(field: FieldSpec, mode: Mode): boolean {
  if (mode === 'advanced') return true;
  if (field.required) return true;
  return field.prop.default === undefined && !field.prop.advanced;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Check one value against its property (the subset of JSON Schema the panel's
 * settings use: type, enum, minimum/maximum, lengths, pattern, items).
 * Returns the first problem, or null. The server validates again (with Ajv);
 * this is for messages as the user types.
 */
export function validateValue(field: FieldSpec, value: unknown): Problem | null {
  const { prop } = field;
  if (isEmpty(value)) return field.required && prop.default === undefined ? { key: 'ui.required' } : null;
  if (prop.secret && value === SECRET_MASK) return null;
  switch (prop.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || Number.isNaN(value)) return { key: 'ui.mustBeNumber' };
      if (prop.type === 'integer' && !Number.isInteger(value)) return { key: 'ui.mustBeInteger' };
      if (prop.minimum !== undefined && value < prop.minimum)
        return { key: 'ui.min', params: { n: prop.minimum } };
      if (prop.maximum !== undefined && value > prop.maximum)
        return { key: 'ui.max', params: { n: prop.maximum } };
      if (prop.exclusiveMinimum !== undefined && value <= prop.exclusiveMinimum)
        return { key: 'ui.min', params: { n: `> ${prop.exclusiveMinimum}` } };
      if (prop.exclusiveMaximum !== undefined && value >= prop.exclusiveMaximum)
        return { key: 'ui.max', params: { n: `< ${prop.exclusiveMaximum}` } };
      break;
    }
    case 'string': {
      const s = String(value);
      if (prop.minLength !== undefined && s.length < prop.minLength)
        return { key: 'ui.minLength', params: { n: prop.minLength } };
      if (prop.maxLength !== undefined && s.length > prop.maxLength)
        return { key: 'ui.maxLength', params: { n: prop.maxLength } };
      if (prop.pattern !== undefined) {
        try {
          if (!new RegExp(prop.pattern, 'u').test(s)) return { key: 'ui.pattern' };
        } catch {
          // A pattern the browser cannot compile is left to the server.
        }
      }
      break;
    }
    case 'array': {
      if (!Array.isArray(value)) return { key: 'ui.invalidJson' };
      if (prop.minItems !== undefined && value.length < prop.minItems)
        return { key: 'ui.min', params: { n: prop.minItems } };
      if (prop.maxItems !== undefined && value.length > prop.maxItems)
        return { key: 'ui.max', params: { n: prop.maxItems } };
      const allowed = prop.items?.enum;
      if (allowed && value.some((v) => !allowed.includes(v)))
        return { key: 'ui.oneOf', params: { values: allowed.join(', ') } };
      break;
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return { key: 'ui.invalidJson' };
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return { key: 'ui.invalidJson' };
      break;
  }
  if (prop.enum && !prop.enum.includes(value))
    return { key: 'ui.oneOf', params: { values: prop.enum.join(', ') } };
  return null;
}

/** Validate every field of a values object; keys of the result are field keys. */
export function validateAll(schema: ConfigSchema, values: Record<string, unknown>): Record<string, Problem> {
  const out: Record<string, Problem> = {};
  for (const field of fieldsOf(schema)) {
    const problem = validateValue(field, values[field.key]);
    if (problem) out[field.key] = problem;
  }
  return out;
}

/** The changes to send: keys whose value differs from the initial one. Cleared optional keys become null (reset to default). */
export function diffValues(
  initial: Record<string, unknown>,
  current: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(current)) {
    if (JSON.stringify(value) === JSON.stringify(initial[key])) continue;
    patch[key] = value === '' || value === undefined ? null : value;
  }
  return patch;
}
