import { stringify } from 'yaml';
import type { ComposeDoc } from './types.js';

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Compose-style `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` substitution with
 * the given values. Values are escaped (`$` → `$$`) because compose interpolates the file
 * again: a generated password holding `$` must reach the container unchanged. `$$` stays.
 * Variables with no value and no default become empty and are reported in `missing`.
 */
export function substitute(text: string, vars: Record<string, string>, missing?: Set<string>): string {
  return text.replace(VARIABLE, (match, braced?: string, op?: string, fallback?: string, bare?: string) => {
    if (match === '$$') return match;
    const name = (braced ?? bare) as string;
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (op === ':-' && !value) return escapeDollars(fallback ?? '');
    if (op === '-' && value === undefined) return escapeDollars(fallback ?? '');
    if (value === undefined) {
      missing?.add(name);
      return '';
    }
    return escapeDollars(value);
  });
}

function escapeDollars(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** Substitute into every string of a compose document (keys too: labels may use variables). */
export function renderDoc(doc: ComposeDoc, vars: Record<string, string>, missing?: Set<string>): ComposeDoc {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return substitute(value, vars, missing);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [substitute(k, vars, missing), walk(v)]),
      );
    }
    return value;
  };
  return walk(doc) as ComposeDoc;
}

/** The compose file text handed to the docker plugin. */
export function composeYaml(doc: ComposeDoc): string {
  return stringify(doc, { lineWidth: 0 });
}
