import type { Api, Message, PanelEvent } from '@webcasa/ui';
import { createSignal } from 'solid-js';

type Notification = Extract<PanelEvent, { type: 'panel.notification' }>;

/**
 * The messages plugins sent (`ctx.notify`): the unread count for the top bar's
 * bell, the newest messages for its panel, kept up to date by the
 * `panel.notification` events of `/ws/events`. Read state is the panel's, shared
 * by every user.
 */
export function createMessageCenter(api: Api, pageSize = 20) {
  const [items, setItems] = createSignal<Message[]>([]);
  const [unread, setUnread] = createSignal(0);
  const [next, setNext] = createSignal<number | null>(null);
  const [loaded, setLoaded] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);

  const refresh = async () => {
    try {
      const answer = await api.messages.list({ limit: pageSize });
      setItems(answer.items);
      setUnread(answer.unread);
      setNext(answer.nextBefore);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoaded(true);
    }
  };

  const more = async () => {
    const before = next();
    if (before === null) return;
    const answer = await api.messages.list({ limit: pageSize, before });
    setItems((list) => [...list, ...answer.items.filter((m) => !list.some((x) => x.id === m.id))]);
    setUnread(answer.unread);
    setNext(answer.nextBefore);
  };

  /** A `panel.notification` event: count it and show it first (refetch when it carries no id). */
  const received = (event: Notification) => {
    const p = event.payload;
    if (typeof p.id !== 'number') {
      void refresh();
      return;
    }
    if (items().some((m) => m.id === p.id)) return;
    const message: Message = {
      id: p.id,
      plugin: p.plugin,
      title: p.title,
      body: p.body ?? null,
      priority: p.priority ?? 'normal',
      link: p.link ?? null,
      createdAt: event.time ?? Date.now(),
      readAt: null,
    };
    setItems((list) => [message, ...list]);
    setUnread((n) => n + 1);
  };

  const markRead = async (id: number) => {
    await api.messages.read(id);
    const now = Date.now();
    let changed = false;
    setItems((list) =>
      list.map((m) => {
        if (m.id !== id || m.readAt !== null) return m;
        changed = true;
        return { ...m, readAt: now };
      }),
    );
    if (changed) setUnread((n) => Math.max(0, n - 1));
  };

  const markAllRead = async () => {
    await api.messages.readAll();
    const now = Date.now();
    setItems((list) => list.map((m) => (m.readAt === null ? { ...m, readAt: now } : m)));
    setUnread(0);
  };

  const dismiss = async (id: number) => {
    await api.messages.dismiss(id);
    const gone = items().find((m) => m.id === id);
    setItems((list) => list.filter((m) => m.id !== id));
    if (gone && gone.readAt === null) setUnread((n) => Math.max(0, n - 1));
  };

  return { items, unread, next, loaded, error, refresh, more, received, markRead, markAllRead, dismiss };
}

export type MessageCenter = ReturnType<typeof createMessageCenter>;
