import { describe, expect, it } from 'vitest';
import { fromBits, parseOctal, toBits, toOctal } from './mode.js';

describe('permission bits', () => {
  it('parses 3 and 4 digit octal modes and refuses anything else', () => {
    expect(parseOctal('644')).toBe(0o644);
    expect(parseOctal(' 4755 ')).toBe(0o4755);
    for (const bad of ['', '8', '64', '07777x', '99999', '-644']) expect(parseOctal(bad)).toBeNull();
  });

  it('turns a mode into rwx flags and back, keeping the special bits', () => {
    const bits = toBits(0o2750);
    expect(bits.special).toBe(2);
    expect(bits.rwx).toEqual([true, true, true, true, false, true, false, false, false]);
    bits.rwx[7] = true; // others write
    expect(toOctal(fromBits(bits))).toBe('2752');
    for (const m of [0, 0o644, 0o755, 0o1777, 0o7777]) expect(fromBits(toBits(m))).toBe(m);
  });
});
