/** Bare specifiers every plugin web module must keep external (the shell's import map provides them). */
export declare const SHARED_MODULES: readonly string[];
/** Whether an import id is one of {@link SHARED_MODULES}. */
export declare function isSharedModule(id: string): boolean;
/** File-name-safe name of a shared module (`solid-js/web` → `solid-js_web`). */
export declare function vendorName(specifier: string): string;
