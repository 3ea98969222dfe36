import type { Role } from '@webcasa/ui';
import { useShell } from '@webcasa/ui';
import { createUniqueId, For, type JSX, Show, splitProps } from 'solid-js';

export { formatBytes, formatDuration, headerLines, lines, parseHeaderLines, toLocalInput } from './format.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether the signed-in user has at least `min`. */
export function useRole() {
  const shell = useShell();
  const role = () => shell.me()?.user.role ?? 'viewer';
  return {
    role,
    atLeast: (min: Role) => RANK[role()] >= RANK[min],
  };
}

interface FieldBase {
  label: string;
  hint?: JSX.Element;
  error?: string;
  class?: string;
}

/** A label, a control, its hint and error, wired for screen readers. */
function FieldFrame(props: FieldBase & { id: string; children: JSX.Element; field?: string }) {
  return (
    <div
      class={`wc-field ${props.class ?? ''}`}
      classList={{ 'wc-field-invalid': !!props.error }}
      data-field={props.field}
    >
      <label for={props.id}>{props.label}</label>
      {props.children}
      <Show when={props.hint}>
        <p class="wc-hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p class="wc-error" id={`${props.id}-err`}>
          {props.error}
        </p>
      </Show>
    </div>
  );
}

const described = (id: string, p: FieldBase) =>
  [p.hint ? `${id}-hint` : '', p.error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;

export function TextInput(
  props: FieldBase & {
    value: string;
    onInput: (v: string) => void;
    field?: string;
    type?: string;
    placeholder?: string;
    inputMode?: 'numeric' | 'text' | 'url';
    disabled?: boolean;
    required?: boolean;
  },
) {
  const id = createUniqueId();
  return (
    <FieldFrame {...props} id={id}>
      <input
        id={id}
        name={props.field}
        class="wc-input"
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        inputMode={props.inputMode}
        disabled={props.disabled}
        aria-required={props.required ? true : undefined}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described(id, props)}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </FieldFrame>
  );
}

export function TextArea(
  props: FieldBase & {
    value: string;
    onInput: (v: string) => void;
    field?: string;
    rows?: number;
    placeholder?: string;
    disabled?: boolean;
    mono?: boolean;
  },
) {
  const id = createUniqueId();
  return (
    <FieldFrame {...props} id={id}>
      <textarea
        id={id}
        name={props.field}
        class="wc-input"
        classList={{ 'wc-mono': props.mono }}
        rows={props.rows ?? 3}
        value={props.value}
        placeholder={props.placeholder}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described(id, props)}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </FieldFrame>
  );
}

export function SelectInput<T extends string>(
  props: FieldBase & {
    value: T;
    options: { value: T; label: string }[];
    onChange: (v: T) => void;
    field?: string;
    disabled?: boolean;
  },
) {
  const id = createUniqueId();
  return (
    <FieldFrame {...props} id={id}>
      <select
        id={id}
        name={props.field}
        class="wc-input"
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described(id, props)}
        onChange={(e) => props.onChange(e.currentTarget.value as T)}
      >
        <For each={props.options}>
          {(o) => (
            <option value={o.value} selected={o.value === props.value}>
              {o.label}
            </option>
          )}
        </For>
      </select>
    </FieldFrame>
  );
}

export function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  hint?: string;
  disabled?: boolean;
  field?: string;
}) {
  const id = createUniqueId();
  return (
    <div class="wc-field" data-field={props.field}>
      <label class="wc-check" for={id}>
        <input
          id={id}
          type="checkbox"
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
          onChange={(e) => props.onChange(e.currentTarget.checked)}
        />
        {props.label}
      </label>
      <Show when={props.hint}>
        <p class="wc-hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      </Show>
    </div>
  );
}

/** A definition list of facts; empty values show a dash. */
export function Facts(props: {
  items: [string, JSX.Element | string | number | null | undefined][];
  label?: string;
}) {
  return (
    <dl class="facts" aria-label={props.label}>
      <For each={props.items}>
        {([k, v]) => (
          <div class="fact">
            <dt>{k}</dt>
            <dd>{v === null || v === undefined || v === '' ? '—' : v}</dd>
          </div>
        )}
      </For>
    </dl>
  );
}

export interface TabSpec {
  id: string;
  label: string;
}

/**
 * Tabs as in the ARIA pattern: arrow keys, Home and End move between them
 * (and select, as the panels load on demand), Tab goes into the panel.
 */
export function Tabs(
  props: {
    tabs: TabSpec[];
    selected: string;
    onSelect: (id: string) => void;
    label: string;
    children: JSX.Element;
  } & { idPrefix?: string },
) {
  const [local] = splitProps(props, ['tabs', 'selected', 'onSelect', 'label', 'children']);
  const base = props.idPrefix ?? createUniqueId();
  let list!: HTMLDivElement;
  const onKey = (e: KeyboardEvent) => {
    const ids = local.tabs.map((t) => t.id);
    const i = ids.indexOf(local.selected);
    let next: number | undefined;
    if (e.key === 'ArrowRight') next = (i + 1) % ids.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + ids.length) % ids.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = ids.length - 1;
    if (next === undefined) return;
    e.preventDefault();
    local.onSelect(ids[next]!);
    queueMicrotask(() => list.querySelector<HTMLElement>(`#${base}-tab-${ids[next!]}`)?.focus());
  };
  return (
    <>
      <div ref={list} class="tabs" role="tablist" aria-label={local.label} onKeyDown={onKey}>
        <For each={local.tabs}>
          {(tab) => (
            <button
              type="button"
              role="tab"
              id={`${base}-tab-${tab.id}`}
              aria-selected={tab.id === local.selected}
              aria-controls={`${base}-panel`}
              tabIndex={tab.id === local.selected ? 0 : -1}
              class="tab"
              data-tab={tab.id}
              onClick={() => local.onSelect(tab.id)}
            >
              {tab.label}
            </button>
          )}
        </For>
      </div>
      <div
        class="tab-panel"
        role="tabpanel"
        id={`${base}-panel`}
        aria-labelledby={`${base}-tab-${local.selected}`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the ARIA tabs pattern makes the panel reachable by Tab
        tabIndex={0}
      >
        {local.children}
      </div>
    </>
  );
}
