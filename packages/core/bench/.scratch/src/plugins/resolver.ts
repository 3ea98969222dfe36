import { engineSatisfies, type Manifest } from '@webcasa/plugin-sdk';
import semver from 'semver';
import toposort from 'toposort';

/**
 * Stable codes of the reasons a plugin cannot load. UIs, logs and tests match
 * on these; the messages are for people and may change.
 */
export const RESOLUTION_CODES = {
  /** A second package declares an id already taken; the first one wins. */
  DUPLICATE: 'WEBCASA_PLUGIN_DUPLICATE',
  /** The manifest's `engine` range does not include the panel's plugin API version. */
  ENGINE: 'WEBCASA_PLUGIN_ENGINE',
  /** A required dependency is not installed at all. */
  MISSING_DEPENDENCY: 'WEBCASA_PLUGIN_MISSING_DEPENDENCY',
  /** A required dependency is installed, in a version outside the declared range. */
  DEPENDENCY_VERSION: 'WEBCASA_PLUGIN_DEPENDENCY_VERSION',
  /** A required dependency is installed but disabled. */
  DEPENDENCY_DISABLED: 'WEBCASA_PLUGIN_DEPENDENCY_DISABLED',
  /** The plugin is on a cycle of required dependencies. */
  CYCLE: 'WEBCASA_PLUGIN_CYCLE',
  /** A required dependency (directly or further down) cannot load. */
  DEPENDENCY_FAILED: 'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
} as const;

export type ResolutionCode = (typeof RESOLUTION_CODES)[keyof typeof RESOLUTION_CODES];

/** The manifest fields the resolver reads. A full {@link Manifest} fits. */
export type ResolverManifest = Pick<
  Manifest,
  'version' | 'engine' | 'dependencies' | 'optionalDependencies' | 'priority'
>;

/**
 * A plugin to resolve. Any extra fields (package name, directory, entries…)
 * are carried through untouched to `order` and `skipped[].candidate`; when a
 * candidate has `packageName`, `packageVersion`, `packageDir` or `source`,
 * duplicate-id messages name them.
 */
export interface PluginCandidate {
  readonly id: string;
  readonly manifest: ResolverManifest;
}

export interface ResolveOptions {
  /** The plugin API version this panel offers (`PLUGIN_API_VERSION`), not the panel's package version. */
  apiVersion: string;
  /** Ids the operator disabled. They are left out of `order` and listed in `disabled`, without an error. */
  disabled?: ReadonlySet<string>;
}

/** A plugin that cannot load, and why. */
export interface SkippedPlugin<C extends PluginCandidate = PluginCandidate> {
  id: string;
  code: ResolutionCode;
  /** Names the plugin and every other plugin or version involved. */
  message: string;
  /** Ids involved: the plugin, its faulty dependency and the chain to the root cause, or the cycle. */
  involved: string[];
  /** For `WEBCASA_PLUGIN_CYCLE`: the cycle path, first id repeated at the end (`['a', 'b', 'a']`). */
  cycle?: string[];
  /** The candidate itself (for a duplicate, the one that was dropped). */
  candidate: C;
}

export interface ResolutionWarning {
  id: string;
  message: string;
}

export interface Resolution<C extends PluginCandidate = PluginCandidate> {
  /** The loadable candidates, every one after all its dependencies. */
  order: C[];
  /** Candidates that cannot load, by id. */
  skipped: SkippedPlugin<C>[];
  /** Ids of candidates that are disabled, sorted. */
  disabled: string[];
  /** Things that do not stop a plugin from loading, e.g. an optional dependency in the wrong version. */
  warnings: ResolutionWarning[];
}

interface Issue {
  code: ResolutionCode;
  message: string;
  involved: string[];
  cycle?: string[];
}

/**
 * Decide which plugins can load and in which order.
 *
 * Checks each enabled plugin's `engine` range against the plugin API version
 * and its dependency ranges against the installed versions, finds dependency
 * cycles, and skips every plugin that cannot load together with everything
 * that (transitively) requires it. The rest are ordered so each plugin comes
 * after its required and present optional dependencies; among plugins that are
 * ready at the same time, higher `priority` goes first, then the lower id. The
 * same set of candidates gives the same result whatever their order, except
 * that of two candidates with the same id the first one is kept.
 *
 * Never throws for bad input: every problem is reported in `skipped` or
 * `warnings`, so the panel can start without the plugins that cannot load.
 *
 * @example
 * const { order, skipped, disabled, warnings } = resolvePlugins(discovered.plugins, {
 *   apiVersion: PLUGIN_API_VERSION,
 *   disabled: new Set(['ai-assistant']),
 * });
 * for (const s of skipped) log.error({ plugin: s.id, code: s.code }, s.message);
 * for (const plugin of order) await manager.setup(plugin);
 */
export function resolvePlugins<C extends PluginCandidate>(
  candidates: readonly C[],
  options: ResolveOptions,
): Resolution<C> {
  const disabledIds = options.disabled ?? new Set<string>();
  const warnings: ResolutionWarning[] = [];
  const duplicates: SkippedPlugin<C>[] = [];

  const byId = new Map<string, C>();
  for (const candidate of candidates) {
    const first = byId.get(candidate.id);
    if (first === undefined) {
      byId.set(candidate.id, candidate);
      continue;
    }
    duplicates.push({
      id: candidate.id,
      code: RESOLUTION_CODES.DUPLICATE,
      message:
        `plugin id "${candidate.id}" is provided twice: by ${describeSource(first)} and by ` +
        `${describeSource(candidate)}; the first is used and the second skipped`,
      involved: [candidate.id],
      candidate,
    });
  }

  // Everything below walks ids in sorted order, so the result does not depend
  // on the order candidates were discovered in.
  const ids = [...byId.keys()].sort(compareIds);
  const disabled = ids.filter((id) => disabledIds.has(id));
  const active = ids.filter((id) => !disabledIds.has(id));
  const isActive = (id: string) => byId.has(id) && !disabledIds.has(id);
  const manifestOf = (id: string) => byId.get(id)!.manifest;

  // Required edges between enabled plugins, dependent → dependency, sorted.
  const requires = new Map<string, string[]>();
  for (const id of active) {
    requires.set(id, Object.keys(manifestOf(id).dependencies).filter(isActive).sort(compareIds));
  }

  const versionSatisfies = versionChecker();
  const engineOk = new Map<string, boolean>();
  const issues = new Map<string, Issue[]>();
  const addIssue = (id: string, issue: Issue) => {
    const list = issues.get(id);
    if (list) list.push(issue);
    else issues.set(id, [issue]);
  };

  // Cycles first, so every plugin on one is reported as such even if it has other faults too.
  for (const component of findCycles(active, requires)) {
    const path = cyclePath(component, requires);
    const onPath = new Set(path);
    const shown = path.join(' → ');
    const involved = [...onPath, ...component.filter((id) => !onPath.has(id)).sort(compareIds)];
    for (const id of component) {
      addIssue(id, {
        code: RESOLUTION_CODES.CYCLE,
        message: onPath.has(id)
          ? `plugin ${id} is on a dependency cycle: ${shown}`
          : `plugin ${id} is caught in a dependency cycle: ${shown} (${id} both needs and is needed by plugins on it)`,
        involved: involved.slice(),
        cycle: path.slice(),
      });
    }
  }

  for (const id of active) {
    const manifest = manifestOf(id);
    let compatible = engineOk.get(manifest.engine);
    if (compatible === undefined) {
      compatible = engineSatisfies(manifest.engine, options.apiVersion);
      engineOk.set(manifest.engine, compatible);
    }
    if (!compatible) {
      addIssue(id, {
        code: RESOLUTION_CODES.ENGINE,
        message: `plugin ${id} needs plugin API ${manifest.engine}; this panel offers ${options.apiVersion}`,
        involved: [id],
      });
    }
    for (const [dep, range] of sortedEntries(manifest.dependencies)) {
      const target = byId.get(dep);
      if (target === undefined) {
        addIssue(id, {
          code: RESOLUTION_CODES.MISSING_DEPENDENCY,
          message: `plugin ${id} needs plugin ${dep} (${range}), which is not installed`,
          involved: [id, dep],
        });
      } else if (disabledIds.has(dep)) {
        addIssue(id, {
          code: RESOLUTION_CODES.DEPENDENCY_DISABLED,
          message: `plugin ${id} needs plugin ${dep}, which is disabled; enable ${dep} to load ${id}`,
          involved: [id, dep],
        });
      } else if (!versionSatisfies(target.manifest.version, range)) {
        addIssue(id, {
          code: RESOLUTION_CODES.DEPENDENCY_VERSION,
          message: `plugin ${id} needs plugin ${dep} ${range}, but ${dep} ${target.manifest.version} is installed`,
          involved: [id, dep],
        });
      }
    }
  }

  const skipped = new Map<string, SkippedPlugin<C>>();
  for (const [id, list] of issues) {
    const first = list[0]!;
    skipped.set(id, {
      id,
      code: first.code,
      // Report every fault at once: fixing one at a time and restarting is tedious.
      message: list.map((i) => i.message).join('; '),
      involved: list.length === 1 ? first.involved : [...new Set(list.flatMap((i) => i.involved))],
      ...(first.cycle ? { cycle: first.cycle } : {}),
      candidate: byId.get(id)!,
    });
  }

  propagateFailures(active, requires, skipped, byId);

  const loadable = active.filter((id) => !skipped.has(id));
  const loadOrder = orderLoadable(loadable, requires, byId, disabledIds, skipped, versionSatisfies, warnings);

  // A stable sort: duplicates stay after the verdict on the id they duplicate, in candidate order.
  const skippedList = [...skipped.values(), ...duplicates].sort((a, b) => compareIds(a.id, b.id));

  return {
    order: loadOrder.map((id) => byId.get(id)!),
    skipped: skippedList,
    disabled,
    warnings,
  };
}

/**
 * Skip every plugin that requires a skipped one, transitively. A breadth-first
 * walk from the failed plugins along "is required by" edges blames each new
 * failure on the dependency it was reached through, so each message carries a
 * shortest chain down to a root cause.
 */
function propagateFailures<C extends PluginCandidate>(
  active: readonly string[],
  requires: ReadonlyMap<string, readonly string[]>,
  skipped: Map<string, SkippedPlugin<C>>,
  byId: ReadonlyMap<string, C>,
): void {
  const requiredBy = new Map<string, string[]>();
  for (const id of active) {
    for (const dep of requires.get(id)!) {
      const list = requiredBy.get(dep);
      if (list) list.push(id);
      else requiredBy.set(dep, [id]);
    }
  }
  // The chain from a failed plugin to its root cause, and that root cause's message.
  const chainOf = new Map<string, string[]>();
  const queue: string[] = [];
  for (const id of active) {
    if (skipped.has(id)) {
      chainOf.set(id, [id]);
      queue.push(id);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const dep = queue[head]!;
    const depChain = chainOf.get(dep)!;
    const root = skipped.get(depChain[depChain.length - 1]!)!;
    for (const id of requiredBy.get(dep) ?? []) {
      if (skipped.has(id)) continue;
      const chain = [id, ...depChain];
      const via = depChain.length > 1 ? `${depChain.join(' → ')}: ` : '';
      chainOf.set(id, chain);
      skipped.set(id, {
        id,
        code: RESOLUTION_CODES.DEPENDENCY_FAILED,
        message: `plugin ${id} needs plugin ${dep}, which cannot load (${via}${root.message})`,
        involved: chain,
        candidate: byId.get(id)!,
      });
      queue.push(id);
    }
  }
}

/**
 * Load order for plugins known to be loadable: required dependencies plus the
 * optional ones that are present, loadable and in range. An optional edge
 * never makes a plugin fail; where optional edges close a cycle they are
 * dropped (with a warning), since either load order is then acceptable.
 */
function orderLoadable<C extends PluginCandidate>(
  loadable: readonly string[],
  requires: ReadonlyMap<string, readonly string[]>,
  byId: ReadonlyMap<string, C>,
  disabledIds: ReadonlySet<string>,
  skipped: ReadonlyMap<string, SkippedPlugin<C>>,
  versionSatisfies: VersionCheck,
  warnings: ResolutionWarning[],
): string[] {
  const optional = new Map<string, Set<string>>();
  const after = new Map<string, string[]>();
  for (const id of loadable) {
    const wanted = new Set<string>();
    for (const [dep, range] of sortedEntries(byId.get(id)!.manifest.optionalDependencies)) {
      if (dep === id) {
        warnings.push({ id, message: `plugin ${id} lists itself as an optional dependency; ignored` });
        continue;
      }
      const target = byId.get(dep);
      if (target === undefined || disabledIds.has(dep) || skipped.has(dep)) continue;
      if (!versionSatisfies(target.manifest.version, range)) {
        warnings.push({
          id,
          message:
            `plugin ${id} can use plugin ${dep} ${range}, but ${dep} ${target.manifest.version} is installed; ` +
            `${id} loads without it`,
        });
        continue;
      }
      wanted.add(dep);
    }
    optional.set(id, wanted);
    after.set(id, [...new Set([...requires.get(id)!, ...wanted])].sort(compareIds));
  }

  if (!isAcyclic(loadable, after)) {
    // Required edges among loadable plugins are acyclic (cycles were skipped
    // above), so every cycle left runs through an optional edge. Dropping the
    // optional edges inside each strongly connected component leaves only its
    // required edges plus edges between components, which cannot cycle.
    for (const component of findCycles(loadable, after)) {
      const members = new Set(component);
      for (const id of [...component].sort(compareIds)) {
        for (const dep of optional.get(id)!) {
          if (!members.has(dep)) continue;
          const back = shortestPath(dep, id, members, after);
          warnings.push({
            id,
            message:
              `plugin ${id} can use plugin ${dep}, but loading ${dep} first would close a dependency cycle ` +
              `(${[id, dep, ...back].join(' → ')}); ${id} may load before ${dep}`,
          });
        }
      }
      for (const id of component) {
        const wanted = optional.get(id)!;
        after.set(
          id,
          after
            .get(id)!
            .filter((dep) => !(members.has(dep) && wanted.has(dep) && !requires.get(id)!.includes(dep))),
        );
      }
    }
  }

  return priorityTopologicalOrder(loadable, after, byId);
}

/**
 * Kahn's algorithm with a heap: among plugins whose dependencies have all
 * loaded, the highest priority, then the lowest id, goes next. (The `toposort`
 * package validates the graph; its depth-first order cannot express the
 * "among ready plugins" tie-break.)
 */
function priorityTopologicalOrder(
  ids: readonly string[],
  after: ReadonlyMap<string, readonly string[]>,
  byId: ReadonlyMap<string, PluginCandidate>,
): string[] {
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of ids) {
    const deps = after.get(id)!;
    waitingOn.set(id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(id);
      else dependents.set(dep, [id]);
    }
  }
  const ready = new Heap<string>((a, b) => {
    const pa = byId.get(a)!.manifest.priority;
    const pb = byId.get(b)!.manifest.priority;
    return pa !== pb ? pb - pa : compareIds(a, b);
  });
  for (const id of ids) if (waitingOn.get(id) === 0) ready.push(id);
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = waitingOn.get(next)! - 1;
      waitingOn.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== ids.length) {
    // Unreachable: cycles were removed above. Fail loudly rather than drop plugins silently.
    throw new Error(`internal error: plugin load order is incomplete (${order.length} of ${ids.length})`);
  }
  return order;
}

/** Whether the graph has no cycle, checked with `toposort` (edges run dependency → dependent). */
function isAcyclic(ids: readonly string[], next: ReadonlyMap<string, readonly string[]>): boolean {
  const edges: [string, string][] = [];
  for (const id of ids) for (const dep of next.get(id)!) edges.push([dep, id]);
  try {
    toposort.array(ids, edges);
    return true;
  } catch {
    // A cycle (or, on an absurdly deep graph, a stack overflow in its recursive
    // walk): let the iterative component search below decide.
    return false;
  }
}

/**
 * The strongly connected components that contain a cycle (two or more
 * plugins, or one that requires itself). Uses `toposort` as the fast check and
 * Tarjan's algorithm, iteratively, only when there is a cycle: linear time, no
 * enumeration of every cycle.
 */
function findCycles(ids: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[][] {
  if (isAcyclic(ids, next)) return [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const enter = (id: string) => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
  };
  for (const root of ids) {
    if (index.has(root)) continue;
    enter(root);
    const frames: { id: string; edge: number }[] = [{ id: root, edge: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const out = next.get(frame.id)!;
      if (frame.edge < out.length) {
        const to = out[frame.edge++]!;
        if (!index.has(to)) {
          enter(to);
          frames.push({ id: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.id);
      if (component.length > 1 || out.includes(frame.id)) components.push(component.sort(compareIds));
    }
  }
  return components.sort((a, b) => compareIds(a[0]!, b[0]!));
}

/** One real cycle in a strongly connected component: the shortest through its lowest id. */
function cyclePath(component: readonly string[], next: ReadonlyMap<string, readonly string[]>): string[] {
  const start = component[0]!;
  return [start, ...shortestPath(start, start, new Set(component), next)];
}

/**
 * Breadth-first shortest path from `from` to `to` (excluding `from`, including
 * `to`) through `within`; `from === to` finds the shortest cycle. Neighbours
 * are sorted, so the path is deterministic.
 */
function shortestPath(
  from: string,
  to: string,
  within: ReadonlySet<string>,
  next: ReadonlyMap<string, readonly string[]>,
): string[] {
  const parent = new Map<string, string>();
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const step of next.get(id)!) {
      if (!within.has(step)) continue;
      if (step === to) {
        const path = [to];
        for (let at = id; at !== from; at = parent.get(at)!) path.push(at);
        return path.reverse();
      }
      if (step === from || parent.has(step)) continue;
      parent.set(step, id);
      queue.push(step);
    }
  }
  // Unreachable for members of one strongly connected component.
  throw new Error(`internal error: no path from ${from} to ${to}`);
}

type VersionCheck = (version: string, range: string) => boolean;

/**
 * `semver.satisfies`, with versions and ranges parsed once per resolution:
 * parsing dominated the run time of large plugin sets.
 */
function versionChecker(): VersionCheck {
  const ranges = new Map<string, semver.Range | null>();
  const versions = new Map<string, semver.SemVer | null>();
  return (version, range) => {
    let parsedRange = ranges.get(range);
    if (parsedRange === undefined) {
      // Same prerelease rule as the engine check, so a 2.1.0-beta plugin satisfies ^2.0.0 for both.
      parsedRange =
        semver.validRange(range) === null ? null : new semver.Range(range, { includePrerelease: true });
      ranges.set(range, parsedRange);
    }
    let parsedVersion = versions.get(version);
    if (parsedVersion === undefined) {
      parsedVersion = semver.valid(version) === null ? null : new semver.SemVer(version);
      versions.set(version, parsedVersion);
    }
    return parsedRange !== null && parsedVersion !== null && parsedRange.test(parsedVersion);
  };
}

function compareIds(a: string, b: string): number {
  // Code-unit order, not localeCompare: the order must not change with the server's locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => compareIds(a, b));
}

/** "@acme/uptime@1.2.0 at /srv/…/node_modules/@acme/uptime (installed)", from whatever the candidate carries. */
function describeSource(candidate: PluginCandidate): string {
  const extra = candidate as PluginCandidate & {
    packageName?: unknown;
    packageVersion?: unknown;
    packageDir?: unknown;
    source?: unknown;
  };
  let text =
    typeof extra.packageName === 'string'
      ? `${extra.packageName}@${typeof extra.packageVersion === 'string' ? extra.packageVersion : candidate.manifest.version}`
      : `a package of version ${candidate.manifest.version}`;
  if (typeof extra.packageDir === 'string') text += ` at ${extra.packageDir}`;
  if (typeof extra.source === 'string') text += ` (${extra.source})`;
  return text;
}

/** A binary min-heap under `before`; small, since the ready set is the only thing it holds. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (this.before(items[i]!, items[up]!) >= 0) break;
      [items[i], items[up]] = [items[up]!, items[i]!];
      i = up;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < items.length && this.before(items[left]!, items[best]!) < 0) best = left;
      if (right < items.length && this.before(items[right]!, items[best]!) < 0) best = right;
      if (best === i) return top;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}
