import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { confine, type Resolved } from './confine.js';
import { FilesError } from './errors.js';

export interface RootInfo {
  index: number;
  path: string;
  real: string;
}

/**
 * The configured roots, each resolved with realpath. An empty list means the sandbox
 * `<dataDir>/sandbox` (created on demand) — the safe default: nothing of the system is reachable
 * until an admin lists folders.
 */
export async function loadRoots(configured: string[], dataDir: string): Promise<RootInfo[]> {
  const list = configured.length > 0 ? configured : [join(dataDir, 'sandbox')];
  if (configured.length === 0) await mkdir(list[0] as string, { recursive: true });
  const roots: RootInfo[] = [];
  for (const [index, path] of list.entries()) {
    const real = await realpath(path).catch(() => null);
    if (real) roots.push({ index, path, real });
  }
  return roots;
}

export async function resolveIn(
  roots: RootInfo[],
  rootIndex: number,
  path: string,
  field: string,
): Promise<Resolved & { rootIndex: number }> {
  const root = roots.find((r) => r.index === rootIndex);
  if (!root) {
    throw new FilesError(
      404,
      'WEBCASA_FILES_NO_ROOT',
      `no root ${rootIndex}`,
      field.replace(/path$/, 'root'),
    );
  }
  return { ...(await confine(root.real, path, field)), rootIndex };
}
