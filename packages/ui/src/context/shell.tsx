import { type Accessor, createContext, type JSX, useContext } from 'solid-js';
import type { Api } from '../api/client.js';
import type { Me, Mode } from '../api/types.js';
import type { I18n } from '../i18n.js';

export type Theme = 'light' | 'dark';

export interface ModeControl {
  /** `novice`: only required fields, strong defaults, confirmations. `advanced`: every field, raw views. */
  mode: Accessor<Mode>;
  isAdvanced: Accessor<boolean>;
  setMode(mode: Mode): void;
}

export interface ThemeControl {
  theme: Accessor<Theme>;
  setTheme(theme: Theme): void;
}

export interface ToastInput {
  title: string;
  body?: string;
  kind?: 'info' | 'success' | 'warning' | 'error';
  /** Milliseconds; 0 keeps it until dismissed. Default 5000 (errors: 8000). */
  timeout?: number;
}

export interface ConfirmOptions {
  title: string;
  body?: string;
  confirmLabel?: string;
  /** Styles the confirm button as dangerous. */
  danger?: boolean;
  /** Ask even in advanced mode (default: advanced mode skips confirmations unless `danger`). */
  always?: boolean;
}

/** What the shell gives every page and plugin. */
export interface Shell {
  api: Api;
  i18n: I18n;
  mode: ModeControl;
  theme: ThemeControl;
  /** The signed-in user (null on the sign-in pages). */
  me: Accessor<Me | null>;
  toast(input: ToastInput): void;
  /** Ask the user; resolves true when confirmed. */
  confirm(options: ConfirmOptions): Promise<boolean>;
}

/** What the shell passes to a plugin's route component. */
export interface PluginPageProps {
  /** The plugin's id. */
  plugin: string;
  /** Parameters of the matched route pattern, e.g. `{ id: '42' }` for `/items/:id`. */
  params: Record<string, string>;
  /** The path below the plugin's base `/p/<id>`, e.g. `/items/42`. */
  path: string;
}

const ShellContext = createContext<Shell>();

/**
 * Provides the shell's services to everything below it. The shell renders it
 * once around the whole app; plugin pages read it with the `use…` hooks.
 */
export function ShellProvider(props: { value: Shell; children: JSX.Element }): JSX.Element {
  return <ShellContext.Provider value={props.value}>{props.children}</ShellContext.Provider>;
}

/**
 * The shell's services.
 *
 * Throws when called outside the shell — also the symptom of a plugin that
 * bundled its own copy of `solid-js` or `@webcasa/ui` instead of importing the
 * shell's through the import map.
 */
export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) {
    throw new Error(
      'useShell: no Web.Casa shell above this component (is solid-js or @webcasa/ui bundled twice? keep them external)',
    );
  }
  return shell;
}

/** The typed API client, with the session's CSRF token and 401 handling. */
export const useApi = (): Api => useShell().api;

/**
 * The global novice/advanced switch.
 *
 * @example
 * const { isAdvanced } = useMode();
 * <Show when={isAdvanced()}><RawJson value={config()} /></Show>
 */
export const useMode = (): ModeControl => useShell().mode;

/** Translations: `t(key)`, the current `locale()`, and `addMessages` for a plugin's own catalog. */
export const useI18n = (): I18n => useShell().i18n;

export const useTheme = (): ThemeControl => useShell().theme;

/** Show a toast notification. */
export const useToast = (): Shell['toast'] => useShell().toast;

/**
 * A confirmation before a destructive action. In advanced mode only `danger`
 * or `always` confirmations are asked; novice mode asks every time.
 *
 * @example
 * const confirm = useConfirm();
 * if (await confirm({ title: 'Delete backup?', danger: true })) await api.plugin('backup').delete(`/b/${id}`);
 */
export const useConfirm = (): Shell['confirm'] => useShell().confirm;
