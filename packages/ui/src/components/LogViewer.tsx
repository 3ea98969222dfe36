import { createEffect, createSignal, createUniqueId, For, type JSX, on, Show } from 'solid-js';
import { format, type I18n, uiMessages } from '../i18n.js';

export interface LogLine {
  seq?: number;
  time?: number;
  level?: 'info' | 'warn' | 'error' | string;
  line: string;
}

export interface LogViewerProps {
  lines: readonly LogLine[];
  /** Start following the end (default true). Scrolling up stops following; the checkbox resumes it. */
  follow?: boolean;
  /** Accessible name, e.g. "Build log". */
  label: string;
  /** Show at most this many of the latest lines (default 5000). */
  maxLines?: number;
  /** Show timestamps (default true when lines have them). */
  timestamps?: boolean;
  downloadUrl?: string;
  i18n?: Pick<I18n, 't'>;
  class?: string;
}

function time(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

/**
 * A scrolling log with follow mode: while following, new lines keep the view
 * at the bottom; scrolling up pauses it (the checkbox says so), scrolling back
 * to the end or ticking the checkbox resumes. Keyboard: the log is focusable
 * and scrolls with the arrow and page keys; End jumps to the end and follows.
 *
 * @example
 * <LogViewer label="Deploy log" lines={lines()} downloadUrl={api.runs.logUrl(id)} />
 */
export function LogViewer(props: LogViewerProps): JSX.Element {
  const t = (key: string, params?: Record<string, unknown>) =>
    props.i18n ? props.i18n.t(key, params) : format(uiMessages.en[key] ?? key, params);
  const id = createUniqueId();
  const [follow, setFollow] = createSignal(props.follow ?? true);
  let box!: HTMLDivElement;
  let programmatic = false;

  const visible = () => {
    const max = props.maxLines ?? 5000;
    return props.lines.length > max ? props.lines.slice(-max) : props.lines;
  };
  const scrollToEnd = () => {
    programmatic = true;
    box.scrollTop = box.scrollHeight;
    requestAnimationFrame(() => {
      programmatic = false;
    });
  };
  createEffect(
    on(
      () => [props.lines.length, follow()] as const,
      ([, following]) => {
        if (following) queueMicrotask(scrollToEnd);
      },
    ),
  );

  const onScroll = () => {
    if (programmatic) return;
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 4;
    if (atEnd !== follow()) setFollow(atEnd);
  };

  const showTimes = () => props.timestamps ?? props.lines.some((l) => l.time !== undefined);

  return (
    <div class={`wc-log ${props.class ?? ''}`}>
      <div class="wc-log-bar">
        <span class="wc-muted">{t('ui.logLines', { count: props.lines.length })}</span>
        <label class="wc-check" for={`${id}-follow`}>
          <input
            id={`${id}-follow`}
            type="checkbox"
            checked={follow()}
            onChange={(e) => setFollow(e.currentTarget.checked)}
          />
          {t('ui.follow')}
        </label>
        <Show when={props.downloadUrl}>
          <a class="wc-btn wc-btn-small" href={props.downloadUrl} download="">
            {t('ui.download')}
          </a>
        </Show>
      </div>
      <div
        ref={box}
        class="wc-log-lines"
        role="log"
        aria-label={props.label}
        aria-live="off"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={(e) => {
          if (e.key === 'End') {
            e.preventDefault();
            setFollow(true);
            scrollToEnd();
          }
        }}
      >
        <Show when={props.lines.length > 0} fallback={<div class="wc-muted">{t('ui.logEmpty')}</div>}>
          <For each={visible()}>
            {(line) => (
              <div class={`wc-log-line wc-log-${line.level ?? 'info'}`}>
                <Show when={showTimes() && line.time !== undefined}>
                  <span class="wc-log-time">{time(line.time!)}</span>
                </Show>
                <span class="wc-log-text">{line.line}</span>
              </div>
            )}
          </For>
        </Show>
      </div>
    </div>
  );
}
