import { type JSX, Show } from 'solid-js';

/** A friendly "nothing here yet" with an optional action. */
export function EmptyState(props: {
  title: string;
  body?: string;
  action?: JSX.Element;
  icon?: JSX.Element;
}) {
  return (
    <div class="wc-state wc-state-empty">
      <Show when={props.icon}>
        <div class="wc-state-icon" aria-hidden="true">
          {props.icon}
        </div>
      </Show>
      <p class="wc-state-title">{props.title}</p>
      <Show when={props.body}>
        <p class="wc-state-body">{props.body}</p>
      </Show>
      <Show when={props.action}>
        <div class="wc-state-action">{props.action}</div>
      </Show>
    </div>
  );
}

/** An error message with what went wrong and, when given, a retry button. */
export function ErrorState(props: {
  title: string;
  error?: unknown;
  onRetry?: () => void;
  retryLabel?: string;
  children?: JSX.Element;
}) {
  const message = () => {
    const e = props.error;
    if (e === undefined || e === null) return undefined;
    return e instanceof Error ? e.message : String(e);
  };
  return (
    <div class="wc-state wc-state-error" role="alert">
      <p class="wc-state-title">{props.title}</p>
      <Show when={message()}>
        <pre class="wc-state-detail">{message()}</pre>
      </Show>
      {props.children}
      <Show when={props.onRetry}>
        <button type="button" class="wc-btn" onClick={() => props.onRetry?.()}>
          {props.retryLabel ?? 'Try again'}
        </button>
      </Show>
    </div>
  );
}

/** A labelled busy indicator. */
export function Loading(props: { label?: string }) {
  return (
    <div class="wc-loading" role="status" aria-live="polite">
      <span class="wc-spinner" aria-hidden="true" />
      <span>{props.label ?? 'Loading…'}</span>
    </div>
  );
}
