import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the scaffolder asks for; everything but `dir` has a default derived from it. */
export interface ScaffoldOptions {
  /** Folder to create (must not exist or be empty). */
  dir: string;
  /** Plugin id, `^[a-z][a-z0-9-]{1,39}$`; default: the folder name without `webcasa-plugin-`. */
  id?: string;
  /** npm package name; default `webcasa-plugin-<id>`. */
  packageName?: string;
  /** Display name; default: the id in title case. */
  name?: string;
  description?: string;
  author?: string;
  /** Version ranges of the shared packages written into package.json (peers and dev). */
  versions?: Partial<Record<'sdk' | 'ui' | 'eventBus' | 'testing' | 'web', string>>;
}

export const PLUGIN_ID = /^[a-z][a-z0-9-]{1,39}$/;
const RESERVED = new Set(['core', 'panel', 'webcasa']);

/** Where the template files live (shipped with the package). */
export const TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'template');

const titleCase = (id: string) =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

/** File names npm would drop or rename when publishing the template itself. */
const RENAMES: Record<string, string> = { _gitignore: '.gitignore', '_package.json': 'package.json' };

/**
 * Write a new plugin project into `options.dir`. Returns the files written,
 * relative to the folder.
 *
 * @example
 * const files = scaffold({ dir: 'webcasa-plugin-uptime' });
 * // manifest.json, src/server.ts, src/web/index.tsx, test/plugin.test.ts, …
 */
export function scaffold(options: ScaffoldOptions): string[] {
  const dir = resolve(options.dir);
  const id = options.id ?? basename(dir).replace(/^(@[^/]+\/)?webcasa-plugin-/, '');
  if (!PLUGIN_ID.test(id) || RESERVED.has(id)) {
    throw new Error(
      `"${id}" is not a usable plugin id: lower-case letters, digits and "-", 2 to 40 characters, starting with a letter (and not core, panel or webcasa)`,
    );
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} exists and is not empty`);
  const v = {
    sdk: '^0.1.0',
    ui: '^0.1.0',
    eventBus: '^0.1.0',
    testing: '^0.1.0',
    web: '^0.1.0',
    ...options.versions,
  };
  const values: Record<string, string> = {
    __ID__: id,
    __ID_SNAKE__: id.replaceAll('-', '_'),
    __PACKAGE__: options.packageName ?? `webcasa-plugin-${id}`,
    __NAME__: options.name ?? titleCase(id),
    __DESCRIPTION__: options.description ?? `${titleCase(id)} for Web.Casa`,
    __AUTHOR__: options.author ?? 'Your Name',
    __SDK_RANGE__: v.sdk,
    __UI_RANGE__: v.ui,
    __EVENT_BUS_RANGE__: v.eventBus,
    __TESTING_RANGE__: v.testing,
    __WEB_RANGE__: v.web,
  };
  const written: string[] = [];
  const copy = (from: string, to: string) => {
    for (const entry of readdirSync(from)) {
      const source = join(from, entry);
      const target = join(to, RENAMES[entry] ?? entry);
      if (statSync(source).isDirectory()) {
        copy(source, target);
        continue;
      }
      let text = readFileSync(source, 'utf8');
      for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      written.push(relative(dir, target));
    }
  };
  copy(TEMPLATE_DIR, dir);
  return written.sort();
}
