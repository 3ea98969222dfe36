import { z } from 'zod';

/**
 * Query-string fragments shared by the list and history routes (audit,
 * metrics): query values arrive as strings, so each parses and bounds them
 * with a message that names what was expected.
 */

/** A query-string integer within bounds. */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** Epoch milliseconds or an ISO 8601 date, as epoch milliseconds. */
export const queryTime = z.string().transform((value, ctx) => {
  const time = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(time)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be epoch milliseconds or an ISO date like 2025-01-31T12:00:00Z',
    });
    return z.NEVER;
  }
  return time;
});
