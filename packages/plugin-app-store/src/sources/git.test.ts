import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isGitUrl, recoverSync, syncGit } from './git.js';

const base = mkdtempSync(join(tmpdir(), 'app-store-git-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function repoWith(text: string): string {
  const repo = join(base, `repo-${Math.random().toString(36).slice(2)}`);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'marker.txt'), text);
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@e.x',
    'commit',
    '-q',
    '-m',
    text,
  ]);
  return repo;
}

describe('git sync', () => {
  it('accepts only safe transports', () => {
    expect(isGitUrl('https://github.com/runtipi/runtipi-appstore.git')).toBe(true);
    expect(isGitUrl('git@github.com:runtipi/runtipi-appstore.git')).toBe(true);
    expect(isGitUrl('file:///srv/store')).toBe(true);
    expect(isGitUrl('ext::sh -c touch% /tmp/pwned')).toBe(false);
    expect(isGitUrl('--upload-pack=touch /tmp/x')).toBe(false);
    expect(isGitUrl('/srv/store')).toBe(false);
  });

  it('clones shallow, swaps by rename, and keeps the last good copy when a sync fails', async () => {
    const repo = repoWith('one');
    const target = join(base, 'store-1', 'current');
    const first = await syncGit(`file://${repo}`, target, { timeoutMs: 30_000 });
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(target, 'marker.txt'), 'utf8')).toBe('one');
    expect(execFileSync('git', ['-C', target, 'rev-list', '--count', 'HEAD']).toString().trim()).toBe('1');

    await expect(syncGit(`file://${repo}-missing`, target, { timeoutMs: 30_000 })).rejects.toThrow(
      /git clone failed/,
    );
    await expect(
      syncGit(`file://${repo}`, target, { timeoutMs: 30_000, branch: 'no-such-branch' }),
    ).rejects.toThrow(/git clone failed/);
    expect(readFileSync(join(target, 'marker.txt'), 'utf8')).toBe('one');
    expect(readdirSync(join(base, 'store-1'))).toEqual(['current']);

    writeFileSync(join(repo, 'marker.txt'), 'two');
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@e.x', 'commit', '-qam', 'two']);
    const second = await syncGit(`file://${repo}`, target, { timeoutMs: 30_000 });
    expect(second.commit).not.toBe(first.commit);
    expect(readFileSync(join(target, 'marker.txt'), 'utf8')).toBe('two');
  });

  it('puts the old copy back after a crash between the two renames', async () => {
    const parent = join(base, 'store-2');
    mkdirSync(join(parent, '.old-123-1', 'apps'), { recursive: true });
    mkdirSync(join(parent, '.tmp-123-1'), { recursive: true });
    await recoverSync(join(parent, 'current'));
    expect(readdirSync(parent)).toEqual(['current']);
    expect(existsSync(join(parent, 'current', 'apps'))).toBe(true);
  });
});
