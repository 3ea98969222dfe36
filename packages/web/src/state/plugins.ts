import bundled from 'virtual:webcasa/bundled-plugins';
import type { Api, MenuEntry, PanelEvent, PluginSummary } from '@webcasa/ui';
import { type Accessor, createSignal } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';

/** A plugin's web entry as the SDK's `defineWebPlugin` makes it. */
export interface WebPluginModule {
  $$type: '@webcasa/web-plugin';
  apiVersion: string;
  routes: { path: string; component: () => Promise<{ default: unknown }> }[];
  slots?: {
    dashboardCards?: { id: string; title: string; component: () => Promise<{ default: unknown }> }[];
    floating?: () => Promise<{ default: unknown }>;
    fieldHelp?: (props: { field: string; plugin: string }) => unknown;
  };
}

export type ModuleState =
  | { status: 'loading' }
  | { status: 'ready'; module: WebPluginModule; via: 'bundled' | 'runtime' }
  | { status: 'none' }
  | { status: 'error'; error: string };

export interface MenuItem extends MenuEntry {
  plugin: string;
  href: string;
}

function isWebPlugin(value: unknown): value is WebPluginModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as WebPluginModule).$$type === '@webcasa/web-plugin' &&
    Array.isArray((value as WebPluginModule).routes)
  );
}

/** `/p/<id>` + a manifest path. */
export function pluginHref(id: string, path: string): string {
  return path === '/' ? `/p/${id}` : `/p/${id}${path}`;
}

/**
 * The running plugins and their web entries. Refetched when the panel pushes
 * plugin changes over `/ws/events`, so menus and routes follow enable/disable
 * without a reload. A plugin's web entry comes from this build when it was
 * bundled, else from the module the panel serves for it (`webModule`).
 */
export function createPluginRegistry(api: Api) {
  const [list, setList] = createStore<PluginSummary[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const [modules, setModules] = createStore<Record<string, ModuleState>>({});
  const started = new Map<string, string>();

  const load = (p: PluginSummary) => {
    const key = `${p.version}|${p.webModule ?? ''}`;
    if (started.get(p.id) === key) return;
    started.set(p.id, key);
    const fromBuild = bundled[p.id];
    if (!fromBuild && !p.webModule) {
      setModules(p.id, { status: 'none' });
      return;
    }
    setModules(p.id, { status: 'loading' });
    const importing = fromBuild
      ? fromBuild()
      : (import(/* @vite-ignore */ p.webModule!) as Promise<{ default: unknown }>);
    importing.then(
      (mod) => {
        if (started.get(p.id) !== key) return;
        const value = mod?.default;
        if (!isWebPlugin(value)) {
          setModules(p.id, {
            status: 'error',
            error: `the web entry of ${p.id} does not export defineWebPlugin(...) as its default`,
          });
          return;
        }
        setModules(p.id, { status: 'ready', module: value, via: fromBuild ? 'bundled' : 'runtime' });
      },
      (error: unknown) => {
        if (started.get(p.id) !== key) return;
        setModules(p.id, { status: 'error', error: error instanceof Error ? error.message : String(error) });
      },
    );
  };

  let inflight: Promise<void> | undefined;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (inflight) {
      again = true;
      return inflight;
    }
    inflight = (async () => {
      do {
        again = false;
        const plugins = await api.plugins.list();
        setList(reconcile(plugins, { key: 'id' }));
        const ids = new Set(plugins.map((p) => p.id));
        for (const id of [...started.keys()]) if (!ids.has(id)) started.delete(id);
        for (const p of plugins) load(p);
        setLoaded(true);
      } while (again);
    })().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const menu: Accessor<{ group: string; items: MenuItem[] }[]> = () => {
    const groups = new Map<string, MenuItem[]>();
    for (const p of list) {
      for (const entry of p.web?.menu ?? []) {
        const item = {
          ...entry,
          plugin: p.id,
          icon: entry.icon ?? p.icon,
          href: pluginHref(p.id, entry.path),
        };
        if (!groups.has(entry.group)) groups.set(entry.group, []);
        groups.get(entry.group)!.push(item);
      }
    }
    const sorted = [...groups.entries()].map(([group, items]) => ({
      group,
      items: items.sort((a, b) => a.order - b.order || a.label.localeCompare(b.label)),
    }));
    // Groups follow their first item's order, then their name.
    return sorted.sort(
      (a, b) => (a.items[0]?.order ?? 0) - (b.items[0]?.order ?? 0) || a.group.localeCompare(b.group),
    );
  };

  const ready = () =>
    list.flatMap((p) => {
      const state = modules[p.id];
      return state?.status === 'ready' ? [{ id: p.id, summary: p, module: state.module }] : [];
    });

  return {
    list: () => list,
    loaded,
    modules: () => modules,
    get: (id: string) => list.find((p) => p.id === id),
    refresh,
    menu,
    ready,
    /** Whether the plugin's web entry is part of this build. */
    isBundled: (id: string) => id in bundled,
  };
}

export type PluginRegistry = ReturnType<typeof createPluginRegistry>;

/**
 * Listen to `/ws/events`: plugin changes refresh the registry, notifications
 * become toasts. Reconnects with a growing delay; `close()` stops it.
 */
export function connectEvents(url: string, onEvent: (event: PanelEvent) => void, onReconnect: () => void) {
  let socket: WebSocket | undefined;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    socket = new WebSocket(url);
    socket.onopen = () => {
      // Anything missed while disconnected is caught up by one refresh.
      if (attempt > 0) onReconnect();
      attempt = 0;
    };
    socket.onmessage = (message) => {
      try {
        const event = JSON.parse(String(message.data)) as PanelEvent;
        if (event && typeof event.type === 'string') onEvent(event);
      } catch {
        // Not JSON: not for us.
      }
    };
    socket.onclose = () => {
      if (closed) return;
      attempt++;
      timer = setTimeout(open, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)));
    };
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
