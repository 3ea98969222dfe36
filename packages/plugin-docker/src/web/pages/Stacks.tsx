import '../docker.css';
import { ApiError, Dialog, RunProgress, useApi, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import type { SafetyFinding, SafetyReview, StackInfo } from '../../api.js';
import { DockerPage, docker, errorText, useDockerI18n } from '../lib.js';

const EXAMPLE = `services:
  web:
    image: nginx:alpine
    ports:
      - "127.0.0.1:8080:80"
`;

export default function Stacks() {
  const { t } = useDockerI18n();
  return (
    <DockerPage title={t('docker.stacks')}>
      <StackList />
    </DockerPage>
  );
}

function StackList() {
  const { t } = useDockerI18n();
  const api = docker();
  const root = useApi();
  const toast = useToast();
  const [stacks, { refetch }] = createResource(() => api.get<{ items: StackInfo[] }>('/stacks'));
  const [runId, setRunId] = createSignal<string | null>(null);
  const [creating, setCreating] = createSignal(false);
  const [deleting, setDeleting] = createSignal<string | null>(null);
  const [logs, setLogs] = createSignal<{ name: string; text: string } | null>(null);

  const act = async (name: string, action: string) => {
    try {
      const r = await api.post<{ runId: string }>(`/stacks/${name}/${action}`);
      setRunId(r.runId);
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };
  const showLogs = async (name: string) => {
    try {
      const r = await api.get<{ text: string }>(`/stacks/${name}/logs`, { tail: '300', timestamps: '1' });
      setLogs({ name, text: r.text });
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };

  return (
    <>
      <p>
        <button type="button" class="wc-btn wc-btn-primary" onClick={() => setCreating(true)}>
          {t('docker.newStack')}
        </button>
      </p>
      <Show when={runId()}>
        {(id) => (
          <section class="card" style={{ 'margin-bottom': '1rem' }}>
            <RunProgress api={root} runId={id()} onEnd={() => refetch()} />
          </section>
        )}
      </Show>
      <Show
        when={(stacks()?.items.length ?? 0) > 0}
        fallback={<p>{stacks.loading ? '…' : t('docker.noStacks')}</p>}
      >
        <table class="wc-table" aria-label={t('docker.stacks')}>
          <thead>
            <tr>
              <th>{t('docker.name')}</th>
              <th>{t('docker.state')}</th>
              <th>{t('docker.services')}</th>
              <th>{t('docker.actions')}</th>
            </tr>
          </thead>
          <tbody>
            <For each={stacks()?.items}>
              {(s) => (
                <tr data-testid={`stack-${s.name}`}>
                  <td>{s.name}</td>
                  <td>
                    <span class="wc-badge">{s.state}</span>
                  </td>
                  <td>
                    <For each={s.services}>
                      {(svc) => (
                        <div>
                          {svc.name}: {svc.state}
                          <For each={svc.ports}>
                            {(p) => <span> {`${p.host || '*'}:${p.hostPort}→${p.containerPort}`}</span>}
                          </For>
                        </div>
                      )}
                    </For>
                  </td>
                  <td style={{ display: 'flex', gap: '0.25rem', 'flex-wrap': 'wrap' }}>
                    <For each={['up', 'stop', 'restart', 'pull', 'down']}>
                      {(a) => (
                        <button type="button" class="wc-btn" onClick={() => act(s.name, a)}>
                          {a}
                        </button>
                      )}
                    </For>
                    <button type="button" class="wc-btn" onClick={() => showLogs(s.name)}>
                      {t('docker.logs')}
                    </button>
                    <button type="button" class="wc-btn" onClick={() => setDeleting(s.name)}>
                      {t('docker.delete')}
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <Show when={logs()}>
        {(l) => (
          <Dialog
            title={`${t('docker.logs')}: ${l().name}`}
            onClose={() => setLogs(null)}
            class="docker-xwide-dialog"
          >
            <pre style={{ 'max-height': '60vh', overflow: 'auto', 'font-size': '0.8rem' }}>{l().text}</pre>
          </Dialog>
        )}
      </Show>
      <Show when={creating()}>
        <CreateStack
          onClose={() => setCreating(false)}
          onStarted={(id) => {
            setCreating(false);
            setRunId(id);
            void refetch();
          }}
        />
      </Show>
      <Show when={deleting()}>
        {(name) => (
          <DeleteStack
            name={name()}
            onClose={() => setDeleting(null)}
            onStarted={(id) => {
              setDeleting(null);
              setRunId(id);
            }}
          />
        )}
      </Show>
    </>
  );
}

function CreateStack(props: { onClose: () => void; onStarted: (runId: string) => void }) {
  const { t } = useDockerI18n();
  const api = docker();
  const [name, setName] = createSignal('');
  const [compose, setCompose] = createSignal(EXAMPLE);
  const [error, setError] = createSignal('');
  const [findings, setFindings] = createSignal<SafetyFinding[] | null>(null);
  const [accepted, setAccepted] = createSignal(false);

  const deploy = async (acceptRisks?: string[]) => {
    setError('');
    try {
      const r = await api.post<{ runId: string }>('/stacks', {
        name: name(),
        compose: compose(),
        ...(acceptRisks ? { acceptRisks } : {}),
      });
      props.onStarted(r.runId);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'DOCKER_RISKS_NOT_ACCEPTED') {
        setFindings((e.details?.findings as SafetyFinding[]) ?? []);
        setAccepted(false);
      } else setError(errorText(e));
    }
  };
  // Review first, so the warnings show before anything is sent to be applied.
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      const review = await api.post<SafetyReview>('/stacks/review', { compose: compose() });
      if (review.errors.length)
        return setError(review.errors.map((x) => `${x.path}: ${x.message}`).join('\n'));
      if (review.findings.length) {
        setFindings(review.findings);
        setAccepted(false);
        return;
      }
      await deploy();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <>
      <Dialog title={t('docker.newStack')} onClose={props.onClose} class="docker-wide-dialog">
        <form onSubmit={submit} style={{ display: 'grid', gap: '0.75rem' }}>
          <label class="wc-field">
            <span>{t('docker.name')}</span>
            <input
              class="wc-input"
              required
              pattern="[a-z0-9][a-z0-9_-]{0,62}"
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label class="wc-field">
            <span>{t('docker.compose')}</span>
            <textarea
              class="wc-input"
              rows={16}
              spellcheck={false}
              style={{ 'font-family': 'monospace' }}
              value={compose()}
              onInput={(e) => setCompose(e.currentTarget.value)}
            />
          </label>
          <Show when={error()}>
            <p role="alert" style={{ color: 'var(--wc-danger, #c00)', 'white-space': 'pre-wrap' }}>
              {error()}
            </p>
          </Show>
          <div style={{ display: 'flex', gap: '0.5rem' }}>
            <button type="submit" class="wc-btn wc-btn-primary">
              {t('docker.deploy')}
            </button>
            <button type="button" class="wc-btn" onClick={props.onClose}>
              {t('docker.cancel')}
            </button>
          </div>
        </form>
      </Dialog>
      <Show when={findings()}>
        {(list) => (
          <Dialog title={t('docker.review')} role="alertdialog" onClose={() => setFindings(null)}>
            <div data-testid="safety-warnings">
              <p>{t('docker.reviewIntro')}</p>
              <ul>
                <For each={list()}>
                  {(f) => (
                    <li>
                      <span class="wc-badge">{f.severity}</span> <strong>{f.service}</strong>{' '}
                      <code>{f.path}</code>: {f.message}
                    </li>
                  )}
                </For>
              </ul>
              <label>
                <input
                  type="checkbox"
                  checked={accepted()}
                  onChange={(e) => setAccepted(e.currentTarget.checked)}
                />{' '}
                {t('docker.accept')}
              </label>
              <div style={{ display: 'flex', gap: '0.5rem', 'margin-top': '0.75rem' }}>
                <button
                  type="button"
                  class="wc-btn wc-btn-primary"
                  disabled={!accepted()}
                  onClick={() => {
                    const rules = [...new Set(list().map((f) => f.rule))];
                    setFindings(null);
                    void deploy(rules);
                  }}
                >
                  {t('docker.deployAnyway')}
                </button>
                <button type="button" class="wc-btn" onClick={() => setFindings(null)}>
                  {t('docker.cancel')}
                </button>
              </div>
            </div>
          </Dialog>
        )}
      </Show>
    </>
  );
}

function DeleteStack(props: { name: string; onClose: () => void; onStarted: (runId: string) => void }) {
  const { t } = useDockerI18n();
  const api = docker();
  const toast = useToast();
  const [keep, setKeep] = createSignal(true);
  const remove = async () => {
    try {
      const r = await api.delete<{ runId: string }>(
        `/stacks/${props.name}${keep() ? '' : '?removeVolumes=1'}`,
      );
      props.onStarted(r.runId);
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };
  return (
    <Dialog title={t('docker.deleteStack', { name: props.name })} role="alertdialog" onClose={props.onClose}>
      <label>
        <input type="checkbox" checked={keep()} onChange={(e) => setKeep(e.currentTarget.checked)} />{' '}
        {t('docker.keepVolumes')}
      </label>
      <div style={{ display: 'flex', gap: '0.5rem', 'margin-top': '0.75rem' }}>
        <button type="button" class="wc-btn wc-btn-primary" onClick={remove}>
          {t('docker.delete')}
        </button>
        <button type="button" class="wc-btn" onClick={props.onClose}>
          {t('docker.cancel')}
        </button>
      </div>
    </Dialog>
  );
}
