import type { Migration } from 'kysely';
import * as m001 from './001_core.js';
import * as m002 from './002_sites.js';

/** Core migrations by name, applied in name order. Add new ones; never edit applied ones. */
export const coreMigrations: Record<string, Migration> = {
  '001_core': m001,
  '002_sites': m002,
};
