// The modules the shell shares with plugins' web entries. The shell's build
// leaves these imports bare and the page's import map points each to one
// vendor file, so the shell, bundled plugins and plugins installed at run time
// all get the very same module instances (one Solid, one @webcasa/ui).

/** Bare specifiers every plugin web module must keep external. */
export const SHARED_MODULES = Object.freeze([
  'solid-js',
  'solid-js/web',
  'solid-js/store',
  '@solidjs/router',
  '@webcasa/ui',
  '@webcasa/plugin-sdk',
  '@webcasa/event-bus',
]);

/** Whether an import id is one of {@link SHARED_MODULES}. */
export function isSharedModule(id) {
  return SHARED_MODULES.includes(id);
}

/** File-name-safe name of a shared module (`solid-js/web` → `solid-js_web`). */
export function vendorName(specifier) {
  return specifier.replace(/^@/, '').replace(/[/]/g, '_');
}
