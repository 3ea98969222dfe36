/**
 * Version comparison for the install cards, without a semver dependency in the
 * shell: numeric major.minor.patch, a pre-release sorts before its release.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.replace(/^v/, '').split('-', 2);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The registry's version when it is newer than the installed one, else null. */
export function updateAvailable(installed: string | undefined, latest: string | undefined): string | null {
  return installed && latest && compareVersions(latest, installed) > 0 ? latest : null;
}
