import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a plugin operation has done so far, rewritten atomically (temp file +
 * rename) before each step, so a restart after `kill -9` knows whether to roll
 * back or forward. It lives in the operation's staging folder
 * `<dataDir>/plugins/.staging/<op-id>/journal.json`.
 */
export interface Journal {
  op: string;
  kind: 'install' | 'update' | 'uninstall';
  pluginId?: string;
  packageName?: string;
  version?: string;
  previousVersion?: string;
  /**
   * - `staging`: nothing outside the staging folder changed yet.
   * - `swapping`: the live package folder is being replaced (the old one is `previous/`).
   * - `activating`: the new package is in place and being set up.
   * - `committed`: the new state is final; only clean-up remains.
   * - `removing` (uninstall): the package folder was moved to `removed/`; tables and data go next.
   */
  phase: 'staging' | 'swapping' | 'activating' | 'committed' | 'removing';
  keepData?: boolean;
  /** Uninstall: the plugin's `plugin_state` row before it was forgotten, put back if the uninstall is undone. */
  pluginState?: { enabled: number; isolation: string | null };
  /** Update: what was recorded about the version being replaced, restored by a rollback. */
  previousRecord?: unknown;
  runId?: string;
  startedAt: number;
  updatedAt: number;
}

export function writeJournal(dir: string, journal: Journal): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'journal.json');
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...journal, updatedAt: Date.now() }, null, 2));
  renameSync(tmp, file);
}

export function readJournal(dir: string): Journal | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as Journal;
  } catch {
    return undefined;
  }
}

/** Staging folders of operations a previous process left behind, oldest first. */
export function pendingOperations(stagingRoot: string): string[] {
  try {
    return readdirSync(stagingRoot)
      .sort()
      .map((name) => join(stagingRoot, name));
  } catch {
    return [];
  }
}
