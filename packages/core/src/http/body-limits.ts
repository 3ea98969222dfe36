import { MAX_PLUGIN_BODY_LIMIT_BYTES, type Manifest } from '@webcasa/plugin-sdk';

interface CompiledRule {
  readonly method: string;
  readonly segments: readonly string[];
  /** The last segment is `*`: the rule matches the rest of the path. */
  readonly rest: boolean;
  /** Static segments: the most specific rule wins (`/upload/big` over `/upload/:id`). */
  readonly score: number;
  readonly maxBytes: number;
}

const compiled = new WeakMap<Manifest, readonly CompiledRule[]>();

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function compile(manifest: Manifest): readonly CompiledRule[] {
  let rules = compiled.get(manifest);
  if (!rules) {
    rules = (manifest.http?.bodyLimits ?? []).map((rule) => {
      const segments = split(rule.path);
      const rest = segments.at(-1) === '*';
      if (rest) segments.pop();
      return {
        method: rule.method,
        segments,
        rest,
        score: segments.filter((s) => !s.startsWith(':')).length * 2 + (rest ? 0 : 1),
        // The schema caps it already; the panel does not trust a manifest object it did not parse.
        maxBytes: Math.min(rule.maxBytes, MAX_PLUGIN_BODY_LIMIT_BYTES),
      };
    });
    compiled.set(manifest, rules);
  }
  return rules;
}

/**
 * The body limit a plugin's manifest (`http.bodyLimits`) sets for one request, or `undefined`
 * when no rule matches (the panel's default applies). `path` is relative to
 * `/api/plugins/<id>`; `:name` in a rule matches one segment, a final `*` the rest.
 *
 * @example
 * pluginBodyLimit(manifest, 'PUT', '/upload/u_1'); // 8388608 with { method: 'PUT', path: '/upload/:id', maxBytes: 8388608 }
 */
export function pluginBodyLimit(manifest: Manifest, method: string, path: string): number | undefined {
  const rules = compile(manifest);
  if (rules.length === 0) return undefined;
  const parts = split(path);
  let best: CompiledRule | undefined;
  for (const rule of rules) {
    if (rule.method !== method || (best && best.score >= rule.score)) continue;
    if (rule.rest ? parts.length < rule.segments.length : parts.length !== rule.segments.length) continue;
    if (rule.segments.every((seg, i) => seg.startsWith(':') || seg === parts[i])) best = rule;
  }
  return best?.maxBytes;
}
