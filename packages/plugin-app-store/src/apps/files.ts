import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Lines of an env file; values are written as is after `KEY=` (one line each, validated upstream). */
export function envFileText(values: Record<string, string>): string {
  return `${Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Write `path` through a temp file, fsync and rename, mode 0600 (it holds passwords). */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, path);
}

/** Copy the app's `data/` seed folder from the store into its data dir, without overwriting anything. */
export async function seedData(appDir: string, dataDir: string): Promise<boolean> {
  const seed = join(appDir, 'data');
  const s = await stat(seed).catch(() => null);
  if (!s?.isDirectory()) return false;
  await mkdir(join(dataDir, 'data'), { recursive: true });
  await cp(seed, join(dataDir, 'data'), { recursive: true, force: false, errorOnExist: false });
  return true;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (error, _out, stderr) => {
        if (error) reject(new Error(`${cmd} failed: ${stderr.trim() || error.message}`));
        else resolve();
      },
    );
  });
}

/**
 * A tar.gz of the app's data dir in `backupsDir`, written under a temp name and renamed when
 * complete; the oldest archives beyond `keep` are removed.
 */
export async function backupDataDir(
  dataDir: string,
  backupsDir: string,
  label: string,
  keep: number,
): Promise<string> {
  await mkdir(backupsDir, { recursive: true });
  const file = join(backupsDir, `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`);
  const temp = `${file}.partial`;
  try {
    await run('tar', ['-czf', temp, '-C', dataDir, '.'], 30 * 60_000);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  const archives = (await readdir(backupsDir)).filter((n) => n.endsWith('.tar.gz')).sort();
  for (const old of archives.slice(0, Math.max(0, archives.length - keep)))
    await rm(join(backupsDir, old), { force: true });
  return file;
}

export async function listBackups(backupsDir: string): Promise<{ name: string; size: number; at: number }[]> {
  const names = await readdir(backupsDir).catch(() => [] as string[]);
  const out: { name: string; size: number; at: number }[] = [];
  for (const name of names.filter((n) => n.endsWith('.tar.gz')).sort()) {
    const s = await stat(join(backupsDir, name));
    out.push({ name, size: s.size, at: s.mtimeMs });
  }
  return out;
}
