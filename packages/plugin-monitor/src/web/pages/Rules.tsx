import { DataTable, EmptyState, ErrorState, Loading, useConfirm, useToast } from '@webcasa/ui';
import { createResource, createSignal, Show } from 'solid-js';
import { Tabs } from '../components.js';
import { type MessageKey, useMonitorI18n } from '../i18n.js';
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
  const { t } = useMonitorI18n();
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
      toast({ kind: 'success', title: t('monitor.rules.added') });
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
    if (!(await confirm({ title: t('monitor.rules.confirmDelete', { name: rule.name }), danger: true })))
      return;
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
        title: failed.length ? t('monitor.rules.testFailed') : t('monitor.rules.testSent'),
        body: Object.entries(results)
          .map(([ch, r]) => `${ch}: ${r}`)
          .join(' · '),
      });
    } catch (error) {
      toast({ kind: 'error', title: (error as Error).message });
    }
  }

  const input = (key: keyof typeof blank, label: MessageKey, type: 'text' | 'number' = 'number') => (
    <label class="wc-field">
      <span>{t(label)}</span>
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
      <h1>{t('monitor.rules.title')}</h1>
      <Tabs />
      <p style={{ color: 'var(--wc-muted)' }}>{t('monitor.rules.intro')}</p>
      <button type="button" class="wc-btn" onClick={testSend}>
        {t('monitor.rules.test')}
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
        {input('name', 'monitor.rules.name', 'text')}
        {input('metric', 'monitor.rules.metric', 'text')}
        <label class="wc-field">
          <span>{t('monitor.rules.comparison')}</span>
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
        {input('threshold', 'monitor.rules.threshold')}
        {input('durationSeconds', 'monitor.rules.duration')}
        {input('hysteresis', 'monitor.rules.hysteresis')}
        <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
          {t('monitor.rules.add')}
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
        fallback={<ErrorState title={t('monitor.rules.loadError')} error={rules.error} onRetry={refetch} />}
      >
        <Show when={rules()} fallback={<Loading />}>
          {(list) => (
            <Show
              when={list().length > 0}
              fallback={<EmptyState title={t('monitor.rules.empty')} body={t('monitor.rules.emptyBody')} />}
            >
              <DataTable
                caption={t('monitor.rules.caption')}
                rows={list()}
                rowKey={(r) => r.id}
                columns={[
                  { key: 'name', header: t('monitor.rules.name'), sortable: true },
                  { key: 'metric', header: t('monitor.rules.metric'), sortable: true },
                  {
                    key: 'condition',
                    header: t('monitor.rules.condition'),
                    value: (r: RuleView) =>
                      t('monitor.rules.conditionValue', {
                        comparison: r.comparison,
                        threshold: r.threshold,
                        duration: r.durationSeconds,
                        hysteresis: r.hysteresis,
                      }),
                  },
                  {
                    key: 'state',
                    header: t('monitor.rules.state'),
                    sortable: true,
                    value: (r: RuleView) => t(`monitor.state.${r.enabled ? r.state : 'disabled'}`),
                    render: (r: RuleView) => (
                      <span class="wc-badge">{t(`monitor.state.${r.enabled ? r.state : 'disabled'}`)}</span>
                    ),
                  },
                  {
                    key: 'lastValue',
                    header: t('monitor.rules.lastValue'),
                    value: (r: RuleView) => (r.lastValue === null ? '—' : String(r.lastValue)),
                  },
                  {
                    key: 'actions',
                    header: '',
                    render: (r: RuleView) => (
                      <span style={{ display: 'flex', gap: '0.25rem' }}>
                        <button type="button" class="wc-btn" onClick={() => toggle(r)}>
                          {r.enabled ? t('monitor.rules.disable') : t('monitor.rules.enable')}
                        </button>
                        <button type="button" class="wc-btn" onClick={() => remove(r)}>
                          {t('monitor.rules.delete')}
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
