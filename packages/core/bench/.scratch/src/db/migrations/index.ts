import type { Migration } from 'kysely';
import * as m001 from './001_core.js';

/** Core migrations by name, applied in name order. Add new ones; never edit applied ones. */
export const coreMigrations: Record<string, Migration> = {
  '001_core': m001,
};
