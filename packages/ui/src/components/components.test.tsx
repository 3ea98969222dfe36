import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataTable } from './DataTable.js';
import { createConfirmService } from './Dialog.js';
import { chartGeometry, LineChart } from './LineChart.js';
import { LogViewer } from './LogViewer.js';
import { SchemaForm } from './SchemaForm.js';
import { createToaster, Toaster } from './Toast.js';

let dispose: (() => void) | undefined;
afterEach(() => {
  dispose?.();
  dispose = undefined;
  document.body.innerHTML = '';
});
function mount(ui: () => unknown) {
  const root = document.createElement('div');
  document.body.append(root);
  dispose = render(ui as () => never, root);
  return root;
}
const flush = () => new Promise((r) => setTimeout(r, 0));
const key = (el: Element, k: string, init: KeyboardEventInit = {}) =>
  el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, ...init }));

describe('DataTable', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({
    id: i + 1,
    name: `host-${String(i + 1).padStart(2, '0')}`,
    cpu: (i * 7) % 25,
  }));
  const columns = [
    { key: 'name', header: 'Name', sortable: true },
    { key: 'cpu', header: 'CPU', sortable: true },
  ];
  const names = (root: HTMLElement) =>
    [...root.querySelectorAll('tbody tr td:first-child')].map((td) => td.textContent);

  it('pages, sorts from the header (aria-sort) and filters', async () => {
    const root = mount(() => (
      <DataTable caption="Hosts" rows={rows} columns={columns} rowKey={(r) => r.id} pageSize={10} />
    ));
    expect(names(root)).toHaveLength(10);
    expect(root.textContent).toContain('Page 1 of 3');
    const sortName = root.querySelector('th button') as HTMLButtonElement;
    sortName.click();
    sortName.click();
    await flush();
    expect(root.querySelector('th')!.getAttribute('aria-sort')).toBe('descending');
    expect(names(root)[0]).toBe('host-25');
    (root.querySelector('nav button:last-of-type') as HTMLButtonElement).click();
    await flush();
    expect(root.textContent).toContain('Page 2 of 3');
    const filter = root.querySelector('input[type="search"]') as HTMLInputElement;
    filter.value = 'host-1';
    filter.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await flush();
    // A new filter goes back to the first page (host-10..19, still sorted), and one page needs no pager.
    expect(names(root)).toHaveLength(10);
    expect(names(root)[0]).toBe('host-19');
    expect(root.querySelector('nav')).toBeNull();
    filter.value = 'nothing';
    filter.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await flush();
    expect(root.textContent).toContain('No row matches the filter');
  });

  it('moves between rows with the arrow keys and activates with Enter', async () => {
    const activate = vi.fn();
    const root = mount(() => (
      <DataTable
        caption="Hosts"
        rows={rows.slice(0, 3)}
        columns={columns}
        rowKey={(r) => r.id}
        onRowActivate={activate}
      />
    ));
    const trs = root.querySelectorAll<HTMLTableRowElement>('tbody tr');
    trs[0]!.focus();
    key(trs[0]!, 'ArrowDown');
    expect(document.activeElement).toBe(trs[1]);
    key(trs[1]!, 'End');
    expect(document.activeElement).toBe(trs[2]);
    key(trs[2]!, 'Enter');
    expect(activate).toHaveBeenCalledWith(rows[2]);
  });
});

describe('confirmations', () => {
  it('traps focus, answers, and gives focus back to the opener', async () => {
    const service = createConfirmService();
    const opener = document.createElement('button');
    document.body.append(opener);
    opener.focus();
    mount(() => <service.Host />);
    const answer = service.confirm({ title: 'Delete?', danger: true, confirmLabel: 'Delete' });
    await flush();
    const dialog = document.querySelector('[role="alertdialog"]') as HTMLElement;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const [cancel, confirm] = [...dialog.querySelectorAll('button')];
    expect(document.activeElement).toBe(cancel);
    key(dialog, 'Tab', { shiftKey: true });
    expect(document.activeElement).toBe(confirm);
    key(dialog, 'Tab');
    expect(document.activeElement).toBe(cancel);
    confirm!.click();
    await expect(answer).resolves.toBe(true);
    await flush();
    expect(document.querySelector('[role="alertdialog"]')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('Escape answers no; skip() answers yes without asking', async () => {
    const [advanced, setAdvanced] = createSignal(false);
    const service = createConfirmService({ skip: (o) => advanced() && !o.danger });
    mount(() => <service.Host />);
    const first = service.confirm({ title: 'Restart?' });
    await flush();
    key(document.querySelector('[role="alertdialog"]')!, 'Escape');
    await expect(first).resolves.toBe(false);
    setAdvanced(true);
    await expect(service.confirm({ title: 'Restart?' })).resolves.toBe(true);
    expect(service.pending()).toBeNull();
  });
});

describe('SchemaForm', () => {
  const schema = {
    type: 'object' as const,
    properties: {
      name: { type: 'string' as const, title: 'Name', minLength: 3 },
      apiKey: { type: 'string' as const, title: 'API key', secret: true },
      retries: { type: 'integer' as const, title: 'Retries', default: 3, maximum: 10, advanced: true },
    },
    required: ['name'],
  };
  const input = (root: HTMLElement, label: string) => {
    const l = [...root.querySelectorAll('label')].find((x) => x.textContent?.startsWith(label))!;
    return root.querySelector(`#${CSS.escape(l.htmlFor)}`) as HTMLInputElement;
  };
  const type = (el: HTMLInputElement, value: string) => {
    el.value = value;
    el.dispatchEvent(new InputEvent('input', { bubbles: true }));
  };

  it('validates inline, submits only changes, keeps a stored secret and shows server errors', async () => {
    const submit = vi.fn(async (patch: Record<string, unknown>) =>
      patch.name === 'taken' ? { name: 'is taken' } : undefined,
    );
    const root = mount(() => (
      <SchemaForm schema={schema} value={{ name: 'abc', apiKey: '••••••••', retries: 3 }} onSubmit={submit} />
    ));
    // Novice mode: no Retries field.
    expect(root.textContent).not.toContain('Retries');
    const secret = input(root, 'API key');
    expect(secret.type).toBe('password');
    expect(secret.value).toBe('');
    expect(secret.placeholder).toBe('••••••••');
    type(input(root, 'Name'), 'ab');
    await flush();
    expect(root.querySelector('[data-field="name"] .wc-error')!.textContent).toBe(
      'must be at least 3 characters',
    );
    expect(input(root, 'Name').getAttribute('aria-invalid')).toBe('true');
    (root.querySelector('form') as HTMLFormElement).requestSubmit();
    await flush();
    expect(submit).not.toHaveBeenCalled();
    type(input(root, 'Name'), 'taken');
    (root.querySelector('form') as HTMLFormElement).requestSubmit();
    await flush();
    expect(submit).toHaveBeenCalledWith({ name: 'taken' });
    expect(root.querySelector('[data-field="name"] .wc-error')!.textContent).toBe('is taken');
  });

  it('shows every field and a raw JSON view in advanced mode', async () => {
    const root = mount(() => (
      <SchemaForm
        schema={schema}
        value={{ name: 'abc', retries: 3 }}
        mode="advanced"
        onSubmit={async () => {}}
      />
    ));
    expect(input(root, 'Retries').value).toBe('3');
    const raw = [...root.querySelectorAll('label')]
      .find((l) => l.textContent?.includes('Raw values'))!
      .querySelector('input')!;
    raw.click();
    await flush();
    expect(JSON.parse((root.querySelector('textarea') as HTMLTextAreaElement).value)).toEqual({
      name: 'abc',
      retries: 3,
    });
  });
});

describe('toasts and logs', () => {
  it('announces toasts in a live region and dismisses them', async () => {
    const toaster = createToaster();
    const root = mount(() => <Toaster toaster={toaster} />);
    toaster.push({ title: 'Saved', kind: 'success' });
    toaster.push({ title: 'Broken', kind: 'error', timeout: 0 });
    await flush();
    const items = root.querySelectorAll('.wc-toast');
    expect([...items].map((i) => i.getAttribute('role'))).toEqual(['status', 'alert']);
    (items[1]!.querySelector('button') as HTMLButtonElement).click();
    await flush();
    expect(root.querySelectorAll('.wc-toast')).toHaveLength(1);
  });

  it('renders log lines by level and toggles follow', async () => {
    const [lines, setLines] = createSignal([{ line: 'one' }, { line: 'bad', level: 'error' as const }]);
    const root = mount(() => <LogViewer label="Build" lines={lines()} />);
    expect(root.querySelector('[role="log"]')!.getAttribute('aria-label')).toBe('Build');
    expect(root.querySelectorAll('.wc-log-error')).toHaveLength(1);
    setLines((l) => [...l, { line: 'three' }]);
    await flush();
    expect(root.textContent).toContain('3 lines');
    const follow = root.querySelector('input[type="checkbox"]') as HTMLInputElement;
    expect(follow.checked).toBe(true);
    follow.click();
    expect(follow.checked).toBe(false);
  });
});

describe('LineChart', () => {
  it('scales a series, leaves gaps for missing samples and draws lone points as dots', () => {
    const g = chartGeometry(
      [
        { x: 0, y: 0 },
        { x: 1, y: 10 },
        { x: 2, y: null },
        { x: 3, y: 5 },
        { x: 4, y: null },
      ],
      40,
      10,
    );
    expect(g.line).toBe('M0 10L10 0');
    expect(g.area).toBe('M0 10L0 10L10 0L10 10Z');
    expect(g.dots).toEqual([{ x: 30, y: 5 }]);
    expect([g.min, g.max, g.last]).toEqual([0, 10, 5]);
    // An empty series has no last value.
    expect(chartGeometry([{ x: 0, y: null }], 10, 10).last).toBeNull();
  });

  it('is one named image, with a placeholder when there is no data', async () => {
    const [points, setPoints] = createSignal<{ x: number; y: number | null }[]>([]);
    const root = mount(() => <LineChart label="Requests" points={points()} empty="Nothing yet" />);
    expect(root.querySelector('svg')).toBeNull();
    expect(root.textContent).toContain('Nothing yet');
    setPoints([
      { x: 1, y: 2 },
      { x: 2, y: 8 },
      { x: 3, y: 4 },
    ]);
    await flush();
    const svg = root.querySelector('svg')!;
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getAttribute('aria-label')).toBe('Requests: latest 4, highest 8');
    expect(root.querySelector('.wc-chart-line')!.getAttribute('d')).toMatch(/^M0 [\d.]+L130 [\d.]+L260 /);
  });
});
