// Lucide icons as data, read from lucide-solid's sources at build time, so the
// shell renders any icon a manifest names without shipping the whole set in
// its first load: known icons are inlined, the rest load by first letter.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Icons the shell's own pages use. */
export const SHELL_ICONS = [
  'layout-dashboard',
  'puzzle',
  'users',
  'key-round',
  'scroll-text',
  'settings',
  'log-out',
  'sun',
  'moon',
  'languages',
  'menu',
  'circle-user',
  'circle-alert',
  'chevron-down',
  'refresh-cw',
  'activity',
  'graduation-cap',
  'wrench',
  'bell',
  'globe',
  'list-checks',
];

let cache;

/** Every Lucide icon by name (aliases included): its SVG child nodes. */
export function lucideIcons() {
  if (cache) return cache;
  // lucide-solid exports no ./package.json: find its folder from its main file.
  let pkgDir = dirname(require.resolve('lucide-solid'));
  while (!existsSync(join(pkgDir, 'package.json')) && dirname(pkgDir) !== pkgDir) pkgDir = dirname(pkgDir);
  const dir = join(pkgDir, 'dist/source/icons');
  if (!existsSync(dir)) throw new Error(`lucide-solid sources not found in ${pkgDir}`);
  const data = new Map();
  const aliases = new Map();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.jsx')) continue;
    const name = file.slice(0, -4);
    const text = readFileSync(join(dir, file), 'utf8');
    const literal = /var __iconData = (\{[\s\S]*?\});\s*\n/.exec(text);
    if (literal) {
      // The literal is plain data written by lucide's build (no code): evaluate it here, at build time.
      const icon = new Function(`return ${literal[1]}`)();
      data.set(
        name,
        icon.node.map(([tag, attrs]) => {
          const { key: _key, ...rest } = attrs;
          return [tag, rest];
        }),
      );
      continue;
    }
    const target = /from "\.\/([a-z0-9-]+)"/.exec(text);
    if (target) aliases.set(name, target[1]);
  }
  for (const [alias, target] of aliases) {
    const node = data.get(target);
    if (node) data.set(alias, node);
  }
  cache = data;
  return data;
}

/** The icons grouped by first character, for lazy chunks. */
export function iconGroups() {
  const groups = new Map();
  for (const [name, node] of lucideIcons()) {
    const key = name[0];
    if (!groups.has(key)) groups.set(key, {});
    groups.get(key)[name] = node;
  }
  return groups;
}
