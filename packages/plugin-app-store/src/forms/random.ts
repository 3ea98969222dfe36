import { randomBytes } from 'node:crypto';
import type { FieldRule } from './validate.js';

/** The default length of a generated `random` value, when the field sets no `min`. */
export const RANDOM_DEFAULT_LENGTH = 32;

/** A random value for a `random` field: `min` characters (at least 8) of hex or base64 (URL-safe alphabet). */
export function randomValue(field: Pick<FieldRule, 'min' | 'encoding'>): string {
  const length = Math.max(8, Math.ceil(field.min ?? RANDOM_DEFAULT_LENGTH));
  if (field.encoding === 'base64') {
    // base64url: no '/', '+' or '=' that would need quoting in env files and URLs.
    return randomBytes(Math.ceil((length * 3) / 4) + 3)
      .toString('base64url')
      .slice(0, length);
  }
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** Fill empty `random` fields (server side, never trusted to the browser). */
export function fillRandom(
  fields: readonly FieldRule[],
  values: Record<string, string>,
): Record<string, string> {
  const out = { ...values };
  for (const field of fields) {
    if (field.type === 'random' && !out[field.env_variable]) out[field.env_variable] = randomValue(field);
  }
  return out;
}
