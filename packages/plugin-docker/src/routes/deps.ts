import type { PluginContext } from '@webcasa/plugin-sdk';
import type { Engine } from '../engine.js';
import type { Pulls } from '../pull.js';
import type { Stacks } from '../stacks.js';

/** What every route module gets. */
export interface RouteDeps {
  ctx: PluginContext;
  engine: Engine;
  stacks: Stacks;
  pulls: Pulls;
}

/** Container ids and names, volume and network names as they may appear in a path. */
export const ENGINE_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
