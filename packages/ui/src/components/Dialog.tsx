import { createSignal, createUniqueId, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { Portal } from 'solid-js/web';
import type { ConfirmOptions } from '../context/shell.js';
import type { I18n } from '../i18n.js';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Elements inside `root` that Tab can reach, in order. */
export function focusableIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('inert'));
}

export interface DialogProps {
  title: string;
  /** Called on Escape, on the backdrop and by the close button. */
  onClose: () => void;
  children: JSX.Element;
  footer?: JSX.Element;
  /** `alertdialog` for confirmations. */
  role?: 'dialog' | 'alertdialog';
  /** Element to focus first (default: the first focusable one). */
  initialFocus?: () => HTMLElement | undefined;
  class?: string;
}

/**
 * A modal dialog: focus moves into it and is trapped (Tab and Shift+Tab cycle),
 * Escape closes it, and focus returns to the element that had it before.
 * Render it conditionally (`<Show when={open()}>`); it portals to `<body>`.
 */
export function Dialog(props: DialogProps): JSX.Element {
  const titleId = createUniqueId();
  let panel!: HTMLDivElement;
  const previous = document.activeElement as HTMLElement | null;

  onMount(() => {
    const first = props.initialFocus?.() ?? focusableIn(panel)[0] ?? panel;
    first.focus();
  });
  onCleanup(() => {
    // Give focus back to what opened the dialog, if it is still on the page.
    if (previous?.isConnected) previous.focus();
  });

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      props.onClose();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusableIn(panel);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <Portal>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a click on the backdrop is a mouse shortcut; Escape and the buttons do the same by keyboard */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: see above */}
      <div class="wc-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
        {/* biome-ignore lint/a11y/useAriaPropsSupportedByRole: the role is dialog or alertdialog, both modal */}
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the keydown handler traps focus inside the dialog */}
        <div
          ref={panel}
          class={`wc-dialog ${props.class ?? ''}`}
          role={props.role ?? 'dialog'}
          aria-modal="true"
          aria-labelledby={titleId}
          tabIndex={-1}
          onKeyDown={onKeyDown}
        >
          <h2 id={titleId} class="wc-dialog-title">
            {props.title}
          </h2>
          <div class="wc-dialog-body">{props.children}</div>
          <Show when={props.footer}>
            <div class="wc-dialog-footer">{props.footer}</div>
          </Show>
        </div>
      </div>
    </Portal>
  );
}

export interface ConfirmDialogProps extends ConfirmOptions {
  onAnswer: (confirmed: boolean) => void;
  i18n?: Pick<I18n, 't'>;
}

/** A yes/no question before an action; the safe answer (Cancel) has the focus. */
export function ConfirmDialog(props: ConfirmDialogProps): JSX.Element {
  let cancel!: HTMLButtonElement;
  const t = (key: string, fallback: string) => props.i18n?.t(key) ?? fallback;
  return (
    <Dialog
      title={props.title}
      role="alertdialog"
      onClose={() => props.onAnswer(false)}
      initialFocus={() => cancel}
      footer={
        <>
          <button ref={cancel} type="button" class="wc-btn" onClick={() => props.onAnswer(false)}>
            {t('ui.cancel', 'Cancel')}
          </button>
          <button
            type="button"
            class={`wc-btn ${props.danger ? 'wc-btn-danger' : 'wc-btn-primary'}`}
            onClick={() => props.onAnswer(true)}
          >
            {props.confirmLabel ?? t('ui.confirm', 'Confirm')}
          </button>
        </>
      }
    >
      <Show when={props.body}>
        <p>{props.body}</p>
      </Show>
    </Dialog>
  );
}

/**
 * The confirmation service the shell provides as `useConfirm()`: one question at a
 * time, answered through a {@link ConfirmDialog}.
 *
 * @example
 * const confirms = createConfirmService({ skip: (o) => isAdvanced() && !o.danger && !o.always });
 * <confirms.Host i18n={i18n} />
 * await confirms.confirm({ title: 'Disable plugin?' });
 */
export function createConfirmService(options: { skip?: (o: ConfirmOptions) => boolean } = {}) {
  const [pending, setPending] = createSignal<(ConfirmOptions & { resolve: (v: boolean) => void }) | null>(
    null,
  );
  const confirm = (o: ConfirmOptions): Promise<boolean> => {
    if (options.skip?.(o)) return Promise.resolve(true);
    pending()?.resolve(false);
    return new Promise((resolve) => setPending({ ...o, resolve }));
  };
  const Host = (props: { i18n?: Pick<I18n, 't'> }) => (
    <Show when={pending()}>
      {(p) => (
        <ConfirmDialog
          {...p()}
          i18n={props.i18n}
          onAnswer={(answer) => {
            // Read before clearing: the Show's accessor is stale once pending is null.
            const { resolve } = p();
            setPending(null);
            resolve(answer);
          }}
        />
      )}
    </Show>
  );
  return { confirm, Host, pending };
}
