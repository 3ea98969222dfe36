import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { messages } from '../src/web/messages.js';

const webDir = fileURLToPath(new URL('../src/web', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web strings', () => {
  const en = messages.en as Record<string, string>;
  const zh = messages['zh-CN'] as Record<string, string>;

  it('has a zh-CN string for every en key, with the same placeholders', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      expect(zh[key]?.trim(), key).toBeTruthy();
      expect(placeholders(zh[key] as string), key).toEqual(placeholders(text));
    }
  });

  it('has an en string for every key the pages use', () => {
    const used = new Set<string>();
    for (const file of files(webDir)) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/['`](monitor\.[\w.]+)['`]/g)) used.add(m[1] as string);
      // Keys built from a state: `monitor.state.${...}`.
      if (source.includes('`monitor.state.${'))
        for (const s of ['ok', 'pending', 'firing', 'disabled']) used.add(`monitor.state.${s}`);
    }
    // Event names quoted in the strings themselves are not keys.
    for (const name of ['monitor.alert.fired', 'monitor.alert.resolved']) used.delete(name);
    expect(used.size).toBeGreaterThan(40);
    for (const key of used) expect(en[key], key).toBeDefined();
  });
});
