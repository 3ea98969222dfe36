import type { Migration } from 'kysely';
import * as m001 from './001_core.js';
import * as m002 from './002_sites.js';
import * as m003 from './003_metrics.js';
import * as m004 from './004_messages.js';

/** Core migrations by name, applied in name order. Add new ones; never edit applied ones. */
export const coreMigrations: Record<string, Migration> = {
  '001_core': m001,
  '002_sites': m002,
  '003_metrics': m003,
  '004_messages': m004,
};
