import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A memory cgroup holding one plugin process. */
export interface CgroupHandle {
  /** The cgroup's directory. */
  readonly path: string;
  readonly version: 1 | 2;
  readonly limitBytes: number;
  /** Whether the kernel killed a process of this cgroup for memory. */
  oomKilled(): boolean;
  /** Remove the cgroup (after its process exited). Never throws. */
  release(): void;
}

export type CgroupResult = { handle: CgroupHandle } | { handle?: undefined; reason: string };

const ROOT = '/sys/fs/cgroup';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** This process's cgroup path in the v2 hierarchy and in the v1 memory hierarchy. */
function ownCgroups(): { v2?: string; v1memory?: string } {
  const out: { v2?: string; v1memory?: string } = {};
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (line.startsWith('0::')) out.v2 = path;
    else if (controllers?.split(',').includes('memory')) out.v1memory = path;
  }
  return out;
}

function counterOf(text: string | undefined, key: string): number {
  const match = text?.match(new RegExp(`^${key} (\\d+)$`, 'm'));
  return match ? Number(match[1]) : 0;
}

function makeHandle(path: string, version: 1 | 2, limitBytes: number): CgroupHandle {
  return {
    path,
    version,
    limitBytes,
    oomKilled: () =>
      version === 2
        ? counterOf(read(join(path, 'memory.events')), 'oom_kill') > 0
        : counterOf(read(join(path, 'memory.oom_control')), 'oom_kill') > 0,
    release() {
      // A cgroup can be removed once its processes are gone; a few tries cover a slow reap.
      for (let i = 0; i < 5; i++) {
        try {
          rmdirSync(path);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        }
      }
    },
  };
}

/**
 * Put `pid` in a new memory cgroup limited to `limitBytes`, when this process
 * may create cgroups: cgroup v2 (with the memory controller delegated to our
 * own cgroup) first, else the v1 memory hierarchy. Best effort: the reason is
 * returned when it is not possible (not Linux, read-only /sys/fs/cgroup, no
 * delegation), and the V8 heap limit still applies.
 *
 * @example
 * const cg = placeInMemoryCgroup(child.pid, 'docker', 512 * 1024 * 1024);
 * if (cg.handle) child.once('exit', () => cg.handle.release());
 */
export function placeInMemoryCgroup(pid: number, name: string, limitBytes: number): CgroupResult {
  if (process.platform !== 'linux') return { reason: 'cgroups exist only on Linux' };
  const own = ownCgroups();
  const leaf = `webcasa-${name}-${pid}`;
  const failures: string[] = [];

  const v2controllers = read(join(ROOT, 'cgroup.controllers'));
  if (v2controllers !== undefined && own.v2 !== undefined) {
    const parent = join(ROOT, own.v2);
    try {
      const delegated = read(join(parent, 'cgroup.subtree_control')) ?? '';
      if (!delegated.split(/\s+/).includes('memory')) {
        // Fails with EBUSY when our cgroup itself holds processes ("no internal processes" rule).
        writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
      }
      const path = join(parent, leaf);
      mkdirSync(path);
      try {
        writeFileSync(join(path, 'memory.max'), String(limitBytes));
        if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
        writeFileSync(join(path, 'cgroup.procs'), String(pid));
      } catch (error) {
        makeHandle(path, 2, limitBytes).release();
        throw error;
      }
      return { handle: makeHandle(path, 2, limitBytes) };
    } catch (error) {
      failures.push(`v2: ${(error as Error).message}`);
    }
  }

  if (own.v1memory !== undefined && existsSync(join(ROOT, 'memory'))) {
    const path = join(ROOT, 'memory', own.v1memory, leaf);
    try {
      mkdirSync(path);
      try {
        writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
        writeFileSync(join(path, 'cgroup.procs'), String(pid));
      } catch (error) {
        makeHandle(path, 1, limitBytes).release();
        throw error;
      }
      return { handle: makeHandle(path, 1, limitBytes) };
    } catch (error) {
      failures.push(`v1: ${(error as Error).message}`);
    }
  }
  return { reason: failures.length > 0 ? failures.join('; ') : 'no writable memory cgroup hierarchy' };
}
