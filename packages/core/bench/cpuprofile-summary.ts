/**
 * Summarise a V8 CPU profile (.cpuprofile): top functions by self and by total
 * (inclusive) time, and self time per package / source file.
 *
 *   npx tsx bench/cpuprofile-summary.ts file.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native/vm)';
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  const src = /\/packages\/([^/]+)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
}

export function summarise(profile: CpuProfile, top = 25): void {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const key = (n: CpuProfile['nodes'][number]) =>
    `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

  // Inclusive time per node (post-order, iterative: bounded by the node count).
  const inclusive = new Map<number, number>();
  const order: number[] = [];
  const stack = [profile.nodes[0]!.id];
  while (stack.length > 0) {
    const id = stack.pop()!;
    order.push(id);
    for (const c of byId.get(id)?.children ?? []) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = byId.get(order[i]!)!;
    let t = self.get(n.id) ?? 0;
    for (const c of n.children ?? []) t += inclusive.get(c) ?? 0;
    inclusive.set(n.id, t);
  }
  // Per function: self summed; total summed over nodes that have no ancestor of the same function (no double count).
  const selfByFn = new Map<string, number>();
  const totalByFn = new Map<string, number>();
  const byWhere = new Map<string, number>();
  const walk: { id: number; seen: Set<string> }[] = [{ id: profile.nodes[0]!.id, seen: new Set() }];
  while (walk.length > 0) {
    const { id, seen } = walk.pop()!;
    const n = byId.get(id)!;
    const k = key(n);
    const s = self.get(id) ?? 0;
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + s);
    byWhere.set(where(n.callFrame.url), (byWhere.get(where(n.callFrame.url)) ?? 0) + s);
    let next = seen;
    if (!seen.has(k)) {
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + inclusive.get(id)!);
      next = new Set(seen).add(k);
    }
    for (const c of n.children ?? []) walk.push({ id: c, seen: next });
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  const list = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}:`);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
  };
  console.log(`${(total / 1e6).toFixed(2)} s sampled`);
  list('self time by function', selfByFn);
  list('total (inclusive) time by function', totalByFn);
  list('self time by package / file', byWhere);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: cpuprofile-summary.ts file.cpuprofile [top]');
  summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25));
}
