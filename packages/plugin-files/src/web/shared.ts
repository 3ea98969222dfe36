export interface Entry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtime: number;
  mode: string;
  uid?: number;
  gid?: number;
}

export interface TrashItem {
  id: string;
  path: string;
  type: string;
  deletedAt: number;
  deletedBy: string;
}

export const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
export const parent = (path: string) => path.split('/').slice(0, -1).join('/');

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
