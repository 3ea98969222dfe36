/** Where to go after signing in: only same-site paths, never back to the sign-in page. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    next.startsWith('/') &&
    !next.startsWith('//') &&
    !next.startsWith('/login')
    ? next
    : '/';
}
