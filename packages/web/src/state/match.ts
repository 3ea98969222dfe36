/**
 * Match a path against a plugin route pattern (`/`, `/checks/:id`, `/files/*rest`).
 * Returns the params, or null. Static segments beat parameters when choosing.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const pat = pattern.split('/').filter(Boolean);
  const parts = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < pat.length; i++) {
    const seg = pat[i]!;
    if (seg.startsWith('*')) {
      params[seg.slice(1) || 'rest'] = parts.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(part);
    else if (seg !== part) return null;
  }
  return parts.length === pat.length ? params : null;
}

/** The best route for a path: fewest parameters, then most segments. */
export function pickRoute<R extends { path: string }>(
  routes: readonly R[],
  path: string,
): { route: R; params: Record<string, string> } | null {
  let best: { route: R; params: Record<string, string>; score: number } | null = null;
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    const segs = route.path.split('/').filter(Boolean);
    const score =
      segs.filter((s) => !s.startsWith(':') && !s.startsWith('*')).length * 10 -
      (segs.some((s) => s.startsWith('*')) ? 5 : 0);
    if (!best || score > best.score) best = { route, params, score };
  }
  return best && { route: best.route, params: best.params };
}
