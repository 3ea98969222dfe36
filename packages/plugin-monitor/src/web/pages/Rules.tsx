import { DataTable, EmptyState, ErrorState, Loading, useConfirm, useToast } from '@webcasa/ui';
import { createResource, createSignal, Show } from 'solid-js';
import { Tabs } from '../components.js';
import { monitorApi, type RuleView } from '../lib.js';

const blank = {
  name: '',
  metric: 'cpu.total',
  comparison: '>' as RuleView['comparison'],
  threshold: 90,
  durationSeconds: 300,
  hysteresis: 5,
};

export default function Rules() {
  const api = monitorApi();
  const toast = useToast();
  const confirm = useConfirm();
  const [rules, { refetch }] = createResource(() =>
    api.get<{ items: RuleView[] }>('/rules').then((r) => r.items),
  );
  const [form, setForm] = createSignal({ ...blank });
  const [fieldError, setFieldError] = createSignal<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  const set = <K extends keyof typeof blank>(key: K, value: (typeof blank)[K]) =>
    setForm({ ...form(), [key]: value });

  async function add(e: Event) {
    e.preventDefault();
    setBusy(true);
    setFieldError(null);
    try {
      await api.post('/rules', form());
      setForm({ ...blank });
      toast({ kind: 'success', title: 'Rule added' });
      await refetch();
    } catch (error) {
      const err = error as { field?: string; message: string };
      setFieldError({ field: err.field ?? '', message: err.message });
    } finally {
      setBusy(false);
    }
  }

  async function toggle(rule: RuleView) {
    const { state: _s, lastValue: _v, id, ...body } = rule;
    await api.put(`/rules/${id}`, { ...body, enabled: !rule.enabled });
    await refetch();
  }

  async function remove(rule: RuleView) {
    if (!(await confirm({ title: `Delete the rule "${rule.name}"?`, danger: true }))) return;
    await api.delete(`/rules/${rule.id}`);
    await refetch();
  }

  async function testSend() {
    try {
      const { results } = await api.post<{ results: Record<string, string> }>('/notifications/test', {
        channel: 'all',
      });
      const failed = Object.entries(results).filter(([, r]) => r.startsWith('failed'));
      toast({
        kind: failed.length ? 'error' : 'success',
        title: failed.length ? 'Some notifications failed' : 'Test notification sent',
        body: Object.entries(results)
          .map(([ch, r]) => `${ch}: ${r}`)
          .join(' · '),
      });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  }

  const input = (key: keyof typeof blank, label: string, type: 'text' | 'number' = 'number') => (
    <label class="wc-field">
      <span>{label}</span>
      <input
        class="wc-input"
        type={type}
        step="any"
        value={String(form()[key])}
        aria-invalid={fieldError()?.field === `body.${key}`}
        onInput={(e) =>
          set(key, (type === 'number' ? Number(e.currentTarget.value) : e.currentTarget.value) as never)
        }
      />
    </label>
  );

  return (
    <div class="page">
      <h1>Alert rules</h1>
      <Tabs />
      <p style={{ color: 'var(--wc-muted)' }}>
        A rule fires when its metric stays past the threshold for the whole duration, and resolves once the
        value is back past the threshold by the hysteresis. Firing and resolving post a panel message, the
        events <code>monitor.alert.fired</code>/<code>monitor.alert.resolved</code>, and the webhook and
        e-mail set in the plugin's settings.
      </p>
      <button type="button" class="wc-btn" onClick={testSend}>
        Send a test notification
      </button>
      <form
        onSubmit={add}
        class="card"
        style={{
          padding: '1rem',
          margin: '1rem 0',
          display: 'flex',
          gap: '0.5rem',
          'flex-wrap': 'wrap',
          'align-items': 'end',
        }}
      >
        {input('name', 'Name', 'text')}
        {input('metric', 'Metric', 'text')}
        <label class="wc-field">
          <span>Comparison</span>
          <select
            class="wc-input"
            value={form().comparison}
            onChange={(e) => set('comparison', e.currentTarget.value as RuleView['comparison'])}
          >
            <option value=">">&gt;</option>
            <option value=">=">&gt;=</option>
            <option value="<">&lt;</option>
            <option value="<=">&lt;=</option>
          </select>
        </label>
        {input('threshold', 'Threshold')}
        {input('durationSeconds', 'For (seconds)')}
        {input('hysteresis', 'Hysteresis')}
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
          Add rule
        </button>
        <Show when={fieldError()}>
          {(f) => (
            <p role="alert" style={{ color: 'var(--wc-danger, #d33)', width: '100%' }}>
              {f().message}
            </p>
          )}
        </Show>
      </form>
      <Show
        when={!rules.error}
        fallback={<ErrorState title="Could not load the rules" error={rules.error} onRetry={refetch} />}
      >
        <Show when={rules()} fallback={<Loading />}>
          {(list) => (
            <Show
              when={list().length > 0}
              fallback={
                <EmptyState title="No alert rules yet" body="Add one above, e.g. cpu.total > 90 for 300 s." />
              }
            >
              <DataTable
                caption="Alert rules"
                rows={list()}
                rowKey={(r) => r.id}
                columns={[
                  { key: 'name', header: 'Name', sortable: true },
                  { key: 'metric', header: 'Metric', sortable: true },
                  {
                    key: 'condition',
                    header: 'Condition',
                    value: (r: RuleView) =>
                      `${r.comparison} ${r.threshold} for ${r.durationSeconds} s (±${r.hysteresis})`,
                  },
                  {
                    key: 'state',
                    header: 'State',
                    sortable: true,
                    value: (r: RuleView) => (r.enabled ? r.state : 'disabled'),
                    render: (r: RuleView) => <span class="wc-badge">{r.enabled ? r.state : 'disabled'}</span>,
                  },
                  {
                    key: 'lastValue',
                    header: 'Last value',
                    value: (r: RuleView) => (r.lastValue === null ? '—' : String(r.lastValue)),
                  },
                  {
                    key: 'actions',
                    header: '',
                    render: (r: RuleView) => (
                      <span style={{ display: 'flex', gap: '0.25rem' }}>
                        <button type="button" class="wc-btn" onClick={() => toggle(r)}>
                          {r.enabled ? 'Disable' : 'Enable'}
                        </button>
                        <button type="button" class="wc-btn" onClick={() => remove(r)}>
                          Delete
                        </button>
                      </span>
                    ),
                  },
                ]}
              />
            </Show>
          )}
        </Show>
      </Show>
    </div>
  );
}
