import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FilesError } from './errors.js';
import { move } from './ops.js';

export interface TrashItem {
  id: string;
  rootIndex: number;
  path: string;
  type: 'file' | 'dir' | 'other';
  deletedAt: number;
  deletedBy: string;
}

/** Deleted files go to `<dataDir>/trash/<id>/item`, with their origin in `meta.json`. */
export class Trash {
  constructor(private readonly dir: string) {}

  async put(abs: string, meta: Omit<TrashItem, 'id' | 'type' | 'deletedAt'>): Promise<TrashItem> {
    const id = `t_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const folder = join(this.dir, id);
    await mkdir(folder, { recursive: true });
    const s = await lstat(abs);
    const item: TrashItem = {
      id,
      ...meta,
      type: s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other',
      deletedAt: Date.now(),
    };
    await writeFile(join(folder, 'meta.json'), JSON.stringify(item));
    try {
      await move(abs, join(folder, 'item'));
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    return item;
  }

  async list(limit = 1000): Promise<TrashItem[]> {
    const ids = await readdir(this.dir).catch(() => [] as string[]);
    const items: TrashItem[] = [];
    for (const id of ids.slice(0, 10_000)) {
      const meta = await this.get(id);
      if (meta) items.push(meta);
    }
    return items.sort((a, b) => b.deletedAt - a.deletedAt).slice(0, limit);
  }

  async get(id: string): Promise<TrashItem | null> {
    if (!/^t_[a-z0-9]+$/.test(id)) return null;
    try {
      return JSON.parse(await readFile(join(this.dir, id, 'meta.json'), 'utf8')) as TrashItem;
    } catch {
      return null;
    }
  }

  /** Move an item back to `targetAbs` (already confined by the caller). */
  async restore(id: string, targetAbs: string): Promise<void> {
    const item = await this.get(id);
    if (!item) throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', `no trash item ${id}`, 'body.id');
    await move(join(this.dir, id, 'item'), targetAbs);
    await rm(join(this.dir, id), { recursive: true, force: true });
  }

  async purge(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    await rm(join(this.dir, id), { recursive: true, force: true });
    return true;
  }

  /** Remove items older than `retentionMs`; returns how many. */
  async sweep(retentionMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const item of await this.list(100_000)) {
      if (now - item.deletedAt > retentionMs) {
        await rm(join(this.dir, item.id), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
