import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Transports a store URL may use: never `ext::` or `fd::`, which run commands. */
const URL_FORMS = [
  /^https?:\/\/[^\s]+$/,
  /^ssh:\/\/[^\s]+$/,
  /^git:\/\/[^\s]+$/,
  /^file:\/\/\/[^\s]+$/,
  /^[\w.-]+@[\w.-]+:[^\s]+$/,
];

export function isGitUrl(url: string): boolean {
  return !url.startsWith('-') && URL_FORMS.some((re) => re.test(url));
}

export interface GitResult {
  commit: string;
}

function git(
  args: string[],
  options: { cwd?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [
        '-c',
        'protocol.ext.allow=never',
        '-c',
        'protocol.fd.allow=never',
        '-c',
        'core.hooksPath=/dev/null',
        ...args,
      ],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        signal: options.signal,
        maxBuffer: 4 * 1024 * 1024,
        // Never wait for a password prompt: a private repository fails at once.
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: '/bin/false',
          SSH_ASKPASS: '/bin/false',
          LC_ALL: 'C',
        },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        const killed = (error as { killed?: boolean }).killed;
        const why = killed
          ? `timed out after ${Math.round(options.timeoutMs / 1000)} s`
          : stderr.trim() || error.message;
        reject(new Error(`git ${args[0]} failed: ${why}`));
      },
    );
  });
}

/**
 * A shallow clone of `url` (branch optional) into a temporary folder beside `target`, then
 * swapped in by rename: `target` always holds the last good copy, whether the clone fails,
 * times out or the panel dies half way.
 */
export async function syncGit(
  url: string,
  target: string,
  options: { branch?: string | null; timeoutMs: number; signal?: AbortSignal },
): Promise<GitResult> {
  if (!isGitUrl(url)) throw new Error(`not a git URL this panel clones: ${url}`);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const temp = join(parent, `.tmp-${stamp}`);
  const old = join(parent, `.old-${stamp}`);
  try {
    const args = ['clone', '--depth', '1', '--single-branch', '--no-tags'];
    if (options.branch) args.push('--branch', options.branch);
    await git([...args, '--', url, temp], options);
    const commit = await git(['rev-parse', 'HEAD'], { cwd: temp, timeoutMs: 10_000 });
    await rename(target, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(temp, target);
    await rm(old, { recursive: true, force: true });
    return { commit };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * Finish or undo a sync a crash interrupted: when `target` is gone but a `.old-*` copy of it
 * is there, that copy is put back; every other `.tmp-*` / `.old-*` leftover is removed.
 */
export async function recoverSync(target: string): Promise<void> {
  const parent = dirname(target);
  const names = await readdir(parent).catch(() => [] as string[]);
  const olds = names.filter((n) => n.startsWith('.old-')).sort();
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  const newest = olds.at(-1);
  if (!exists && newest) {
    await rename(join(parent, newest), target);
    olds.pop();
  }
  for (const name of [...olds, ...names.filter((n) => n.startsWith('.tmp-'))]) {
    await rm(join(parent, name), { recursive: true, force: true });
  }
}
