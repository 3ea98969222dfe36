import type { AppProblem, StoreApp } from './store/read-app.js';
import { readStore } from './store/read-app.js';

/** An app as listed in the store browser. */
export interface AppSummary {
  source: number;
  id: string;
  name: string;
  short_desc: string;
  categories: string[];
  version: string;
  tipi_version: number;
  author: string;
  exposable: boolean;
  deprecated: boolean;
  available: boolean;
}

export function summarize(source: number, app: StoreApp): AppSummary {
  const c = app.config;
  return {
    source,
    id: app.id,
    name: c.name,
    short_desc: c.short_desc,
    categories: c.categories,
    version: c.version,
    tipi_version: c.tipi_version,
    author: c.author,
    exposable: c.exposable,
    deprecated: c.deprecated,
    available: c.available,
  };
}

interface Entry {
  apps: Map<string, StoreApp>;
  problems: AppProblem[];
}

/**
 * The parsed apps of every source, in memory. Each source is re-read after a sync; readers
 * always see a complete listing (a source's entry is replaced in one assignment).
 */
export class Catalog {
  readonly #sources = new Map<number, Entry>();

  async load(source: number, root: string): Promise<{ apps: number; problems: AppProblem[] }> {
    const { apps, problems } = await readStore(root);
    this.#sources.set(source, { apps: new Map(apps.map((a) => [a.id, a])), problems });
    return { apps: apps.length, problems };
  }

  drop(source: number): void {
    this.#sources.delete(source);
  }

  get(source: number, id: string): StoreApp | undefined {
    return this.#sources.get(source)?.apps.get(id);
  }

  problems(source: number): AppProblem[] {
    return this.#sources.get(source)?.problems ?? [];
  }

  count(source: number): number {
    return this.#sources.get(source)?.apps.size ?? 0;
  }

  /** Apps of every source, filtered by category and by a search over name, id and descriptions. */
  list(filter: { category?: string; q?: string; source?: number } = {}): AppSummary[] {
    const q = filter.q?.trim().toLowerCase();
    const out: AppSummary[] = [];
    for (const [source, entry] of this.#sources) {
      if (filter.source !== undefined && source !== filter.source) continue;
      for (const app of entry.apps.values()) {
        const c = app.config;
        if (filter.category && !c.categories.includes(filter.category)) continue;
        if (
          q &&
          ![c.name, app.id, c.short_desc, c.description, c.author].some((t) => t.toLowerCase().includes(q))
        )
          continue;
        out.push(summarize(source, app));
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.source - b.source);
  }

  /** Categories in use, with how many apps each has. */
  categories(): { id: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const entry of this.#sources.values()) {
      for (const app of entry.apps.values()) {
        for (const c of app.config.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
      }
    }
    return [...counts].map(([id, count]) => ({ id, count })).sort((a, b) => a.id.localeCompare(b.id));
  }
}
