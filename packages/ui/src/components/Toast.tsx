import { createSignal, For, type JSX } from 'solid-js';
import type { ToastInput } from '../context/shell.js';
import type { I18n } from '../i18n.js';

export interface ToastItem extends Required<Pick<ToastInput, 'title' | 'kind'>> {
  id: number;
  body?: string;
}

/**
 * A toast queue. The shell creates one, renders its `<Toaster>` once, and
 * hands `push` to pages and plugins as `useToast()`.
 *
 * @example
 * const toasts = createToaster();
 * toasts.push({ title: 'Saved', kind: 'success' });
 */
export function createToaster(options: { max?: number } = {}) {
  const [items, setItems] = createSignal<ToastItem[]>([]);
  let next = 1;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  const dismiss = (id: number) => {
    clearTimeout(timers.get(id));
    timers.delete(id);
    setItems((list) => list.filter((t) => t.id !== id));
  };
  const push = (input: ToastInput): number => {
    const id = next++;
    const kind = input.kind ?? 'info';
    setItems((list) =>
      [...list, { id, title: input.title, body: input.body, kind }].slice(-(options.max ?? 5)),
    );
    const timeout = input.timeout ?? (kind === 'error' ? 8000 : 5000);
    if (timeout > 0)
      timers.set(
        id,
        setTimeout(() => dismiss(id), timeout),
      );
    return id;
  };
  return { items, push, dismiss };
}

export type Toaster = ReturnType<typeof createToaster>;

/** The toast region: announced politely to screen readers; errors assertively. */
export function Toaster(props: { toaster: Toaster; i18n?: Pick<I18n, 't'> }): JSX.Element {
  const t = (key: string, fallback: string) => props.i18n?.t(key) ?? fallback;
  return (
    <section class="wc-toasts" aria-label={t('ui.notifications', 'Notifications')}>
      <For each={props.toaster.items()}>
        {(item) => (
          <div
            class={`wc-toast wc-toast-${item.kind}`}
            role={item.kind === 'error' ? 'alert' : 'status'}
            aria-live={item.kind === 'error' ? 'assertive' : 'polite'}
          >
            <div class="wc-toast-text">
              <strong>{item.title}</strong>
              {item.body ? <span>{item.body}</span> : null}
            </div>
            <button
              type="button"
              class="wc-icon-btn"
              aria-label={t('ui.dismiss', 'Dismiss')}
              onClick={() => props.toaster.dismiss(item.id)}
            >
              ×
            </button>
          </div>
        )}
      </For>
    </section>
  );
}
