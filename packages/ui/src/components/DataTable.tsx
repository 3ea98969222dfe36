import { createEffect, createMemo, createSignal, createUniqueId, For, type JSX, on, Show } from 'solid-js';
import type { I18n } from '../i18n.js';
import { format, uiMessages } from '../i18n.js';

export interface Column<Row> {
  /** Stable key; also the default accessor (`row[key]`). */
  key: string;
  header: string;
  /** The value sorted and filtered on. Default: `row[key]`. */
  value?: (row: Row) => unknown;
  /** What the cell shows. Default: the value as text. */
  render?: (row: Row) => JSX.Element;
  sortable?: boolean;
  /** Whether the text filter looks at this column (default true). */
  filterable?: boolean;
  align?: 'start' | 'end';
}

export interface DataTableProps<Row> {
  rows: readonly Row[];
  columns: Column<Row>[];
  /** A caption for screen readers (and shown when `showCaption`). */
  caption: string;
  showCaption?: boolean;
  rowKey: (row: Row) => string | number;
  /** Rows per page; 0 shows all. Default 20. */
  pageSize?: number;
  /** Show the text filter. Default true. */
  filter?: boolean;
  initialSort?: { key: string; direction: 'asc' | 'desc' };
  /** Enter on a focused row (or a click on it). */
  onRowActivate?: (row: Row) => void;
  empty?: JSX.Element;
  i18n?: Pick<I18n, 't'>;
  /** Extra controls beside the filter. */
  toolbar?: JSX.Element;
}

function defaultValue<Row>(column: Column<Row>, row: Row): unknown {
  return column.value ? column.value(row) : (row as Record<string, unknown>)[column.key];
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? -1 : 1;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * A table with sorting (click or Enter on a header), a text filter and
 * pagination. Rows are reachable with Tab, ArrowUp/ArrowDown move between them
 * and Enter activates one (`onRowActivate`).
 *
 * @example
 * <DataTable caption="Users" rows={users()} rowKey={(u) => u.id}
 *   columns={[{ key: 'username', header: 'Name', sortable: true },
 *             { key: 'role', header: 'Role', sortable: true }]} />
 */
export function DataTable<Row>(props: DataTableProps<Row>): JSX.Element {
  const t = (key: string, params?: Record<string, unknown>) =>
    props.i18n ? props.i18n.t(key, params) : format(uiMessages.en[key] ?? key, params);
  const filterId = createUniqueId();
  const [query, setQuery] = createSignal('');
  const [sort, setSort] = createSignal(props.initialSort ?? null);
  const [page, setPage] = createSignal(0);
  let body!: HTMLTableSectionElement;

  const filtered = createMemo(() => {
    const q = query().trim().toLowerCase();
    if (!q) return props.rows;
    const cols = props.columns.filter((c) => c.filterable !== false);
    return props.rows.filter((row) =>
      cols.some((c) => {
        const v = defaultValue(c, row);
        return v !== null && v !== undefined && String(v).toLowerCase().includes(q);
      }),
    );
  });

  const sorted = createMemo(() => {
    const s = sort();
    const rows = [...filtered()];
    if (!s) return rows;
    const column = props.columns.find((c) => c.key === s.key);
    if (!column) return rows;
    rows.sort((a, b) => compare(defaultValue(column, a), defaultValue(column, b)));
    return s.direction === 'desc' ? rows.reverse() : rows;
  });

  const size = () => props.pageSize ?? 20;
  const pages = createMemo(() => (size() > 0 ? Math.max(1, Math.ceil(sorted().length / size())) : 1));
  const visible = createMemo(() =>
    size() > 0 ? sorted().slice(page() * size(), page() * size() + size()) : sorted(),
  );
  // A new filter starts at the first page; a shrinking list never leaves us past the end.
  createEffect(on(query, () => setPage(0), { defer: true }));
  createEffect(() => {
    if (page() > pages() - 1) setPage(pages() - 1);
  });

  const toggleSort = (key: string) => {
    const s = sort();
    setSort(
      s?.key === key ? { key, direction: s.direction === 'asc' ? 'desc' : 'asc' } : { key, direction: 'asc' },
    );
  };

  const onRowKey = (event: KeyboardEvent, row: Row) => {
    const tr = event.currentTarget as HTMLTableRowElement;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const target = (
        event.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling
      ) as HTMLElement | null;
      target?.focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      const rows = body.querySelectorAll<HTMLElement>('tr[tabindex]');
      rows[event.key === 'Home' ? 0 : rows.length - 1]?.focus();
    } else if (event.key === 'Enter' && event.target === tr && props.onRowActivate) {
      event.preventDefault();
      props.onRowActivate(row);
    }
  };

  return (
    <div class="wc-table-wrap">
      <Show when={props.filter !== false || props.toolbar}>
        <div class="wc-table-toolbar">
          <Show when={props.filter !== false}>
            <label class="wc-field-inline" for={filterId}>
              <span>{t('ui.filter')}</span>
              <input
                id={filterId}
                type="search"
                class="wc-input"
                placeholder={t('ui.filterPlaceholder')}
                value={query()}
                onInput={(e) => setQuery(e.currentTarget.value)}
              />
            </label>
          </Show>
          {props.toolbar}
        </div>
      </Show>
      <div class="wc-table-scroll">
        <table class="wc-table">
          <caption classList={{ 'wc-sr-only': !props.showCaption }}>{props.caption}</caption>
          <thead>
            <tr>
              <For each={props.columns}>
                {(column) => {
                  const state = () => (sort()?.key === column.key ? sort()!.direction : undefined);
                  return (
                    <th
                      scope="col"
                      classList={{ 'wc-align-end': column.align === 'end' }}
                      aria-sort={
                        state() === 'asc' ? 'ascending' : state() === 'desc' ? 'descending' : undefined
                      }
                    >
                      <Show when={column.sortable} fallback={column.header}>
                        <button type="button" class="wc-sort" onClick={() => toggleSort(column.key)}>
                          {column.header}
                          <span aria-hidden="true" class="wc-sort-mark">
                            {state() === 'asc' ? '▲' : state() === 'desc' ? '▼' : '↕'}
                          </span>
                          <Show when={state()}>
                            <span class="wc-sr-only">
                              , {t(state() === 'asc' ? 'ui.sortedAsc' : 'ui.sortedDesc')}
                            </span>
                          </Show>
                        </button>
                      </Show>
                    </th>
                  );
                }}
              </For>
            </tr>
          </thead>
          <tbody ref={body}>
            <For each={visible()}>
              {(row) => (
                <tr
                  tabIndex={0}
                  data-key={String(props.rowKey(row))}
                  classList={{ 'wc-row-action': !!props.onRowActivate }}
                  onKeyDown={(e) => onRowKey(e, row)}
                  onClick={(e) => {
                    if (props.onRowActivate && !(e.target as HTMLElement).closest('button, a, input, select'))
                      props.onRowActivate(row);
                  }}
                >
                  <For each={props.columns}>
                    {(column) => (
                      <td classList={{ 'wc-align-end': column.align === 'end' }}>
                        {column.render ? column.render(row) : String(defaultValue(column, row) ?? '')}
                      </td>
                    )}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={visible().length === 0}>
        {props.rows.length === 0 ? (
          (props.empty ?? <p class="wc-muted wc-pad">{t('ui.noRows')}</p>)
        ) : (
          <p class="wc-muted wc-pad">{t('ui.noMatch')}</p>
        )}
      </Show>
      <Show when={pages() > 1}>
        <nav class="wc-pager" aria-label={props.caption}>
          <button type="button" class="wc-btn" disabled={page() === 0} onClick={() => setPage(page() - 1)}>
            {t('ui.previous')}
          </button>
          <span aria-live="polite">{t('ui.page', { page: page() + 1, pages: pages() })}</span>
          <button
            type="button"
            class="wc-btn"
            disabled={page() >= pages() - 1}
            onClick={() => setPage(page() + 1)}
          >
            {t('ui.next')}
          </button>
          <span class="wc-muted">{t('ui.rows', { count: sorted().length })}</span>
        </nav>
      </Show>
    </div>
  );
}
