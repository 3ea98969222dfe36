import type { Site } from './types.js';

// Events of the sites feature, typed for every package by module augmentation.
declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    /** A site was stored (and, when Caddy was reachable, is live). */
    'host.created': { site: Site };
    'host.updated': { site: Site; previous: Site };
    'host.deleted': { id: number; name: string; domains: string[] };
    /** Caddy accepted a configuration generated from the database. */
    'caddy.reloaded': { reason: string; sites: number; durationMs: number };
    /** Caddy refused a configuration (the previous one stays live), or could not be reached. */
    'caddy.failed': { reason: string; message: string; rejected: boolean };
  }
}
