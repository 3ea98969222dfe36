/** Who a permission bit is for, in `ls -l` order. */
export const WHO = ['owner', 'group', 'others'] as const;
/** Which permission, in `ls -l` order. */
export const WHAT = ['read', 'write', 'exec'] as const;

/** A mode as nine rwx flags (owner, group, others × read, write, execute) plus the special bits. */
export interface ModeBits {
  /** setuid/setgid/sticky as one octal digit (kept as it was; the dialog only shows it in the octal field). */
  special: number;
  rwx: boolean[];
}

/** `'0644'`, `'755'` → the mode number, or null when it is not 3–4 octal digits. */
export function parseOctal(text: string): number | null {
  const s = text.trim();
  return /^[0-7]{3,4}$/.test(s) ? Number.parseInt(s, 8) : null;
}

/** The mode as four octal digits, e.g. `0755`. */
export const toOctal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

export function toBits(mode: number): ModeBits {
  const rwx: boolean[] = [];
  for (let i = 8; i >= 0; i--) rwx.push((mode & (1 << i)) !== 0);
  return { special: (mode >> 9) & 0o7, rwx };
}

export function fromBits(bits: ModeBits): number {
  let mode = (bits.special & 0o7) << 9;
  bits.rwx.forEach((on, i) => {
    if (on) mode |= 1 << (8 - i);
  });
  return mode;
}
