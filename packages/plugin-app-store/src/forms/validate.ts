/**
 * Validation of an install form generated from `form_fields`. Pure (no Node APIs), so the
 * browser runs the very same rules before it submits, and the server again on every request.
 */

/** The part of a form field the rules need (a `FormField` from the store schema fits). */
export interface FieldRule {
  type: string;
  label: string;
  env_variable: string;
  required?: boolean;
  min?: number;
  max?: number;
  regex?: string;
  pattern_error?: string;
  default?: string | number | boolean;
  options?: { label: string; value: string }[];
  encoding?: 'hex' | 'base64';
}

export type FormValue = string | number | boolean | null | undefined;

export interface FieldError {
  /** The field's `env_variable`. */
  field: string;
  message: string;
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isFqdn(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.replace(/\.$/, '').split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? '';
  return labels.every((l) => LABEL.test(l)) && /^[A-Za-z]{2,63}$|^xn--[A-Za-z0-9-]{2,59}$/.test(tld);
}

export function isIp(value: string): boolean {
  if (IPV4.test(value)) return true;
  return isIpv6(value);
}

function isIpv6(value: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(value) || !value.includes(':')) return false;
  let text = value;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!IPV4.test(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < 8 : all.length === 8;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isEmpty(value: FormValue): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Check one field's value. Returns the value as the string written to `app.env`, or an
 * error message. An empty `random` field is valid: the server generates it.
 */
export function checkField(field: FieldRule, input: FormValue): { value: string } | { error: string } {
  let value = input;
  if (isEmpty(value) && field.default !== undefined) value = field.default;
  if (field.type === 'boolean') {
    if (isEmpty(value)) return field.required ? { error: 'is required' } : { value: 'false' };
    if (value === true || value === 'true') return { value: 'true' };
    if (value === false || value === 'false') return { value: 'false' };
    return { error: 'must be true or false' };
  }
  if (isEmpty(value)) {
    if (field.required && field.type !== 'random') return { error: 'is required' };
    return { value: '' };
  }
  if (typeof value === 'boolean') return { error: 'must be text, not true/false' };
  const text = String(value);
  if (/[\n\r\0]/.test(text)) return { error: 'must be a single line' };
  switch (field.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) return { error: 'must be a number' };
      if (field.min !== undefined && n < field.min) return { error: `must be at least ${field.min}` };
      if (field.max !== undefined && n > field.max) return { error: `must be at most ${field.max}` };
      break;
    }
    case 'email':
      if (!EMAIL.test(text)) return { error: 'must be an e-mail address' };
      break;
    case 'fqdn':
      if (!isFqdn(text)) return { error: 'must be a domain name like app.example.com' };
      break;
    case 'ip':
      if (!isIp(text)) return { error: 'must be an IPv4 or IPv6 address' };
      break;
    case 'fqdnip':
      if (!isFqdn(text) && !isIp(text)) return { error: 'must be a domain name or an IP address' };
      break;
    case 'url':
      if (!isHttpUrl(text)) return { error: 'must be an http(s) URL' };
      break;
    default:
      break;
  }
  if (field.type !== 'number') {
    // text, password, email, random, …: min and max bound the length.
    if (field.min !== undefined && text.length < field.min)
      return { error: `must be at least ${field.min} characters` };
    if (field.max !== undefined && text.length > field.max)
      return { error: `must be at most ${field.max} characters` };
  }
  if (field.options?.length && !field.options.some((o) => o.value === text)) {
    return { error: `must be one of ${field.options.map((o) => o.value).join(', ')}` };
  }
  if (field.regex) {
    let re: RegExp;
    try {
      re = new RegExp(field.regex);
    } catch {
      return { error: 'has an invalid pattern in the app definition' };
    }
    if (!re.test(text)) return { error: field.pattern_error || `must match ${field.regex}` };
  }
  return { value: text };
}

/** Check every field; values keyed by `env_variable`. Unknown keys are ignored. */
export function validateForm(
  fields: readonly FieldRule[],
  values: Record<string, FormValue>,
): { values: Record<string, string>; errors: FieldError[] } {
  const out: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const field of fields) {
    const result = checkField(field, values[field.env_variable]);
    if ('error' in result)
      errors.push({ field: field.env_variable, message: `${field.label}: ${result.error}` });
    else out[field.env_variable] = result.value;
  }
  return { values: out, errors };
}
