import { useApi, useI18n, useMode } from '@webcasa/ui';
import { createResource, For, type JSX, Match, Switch } from 'solid-js';

/** English and Chinese strings of the plugin's pages. */
const en: Record<string, string> = {
  'docker.stacks': 'Stacks',
  'docker.containers': 'Containers',
  'docker.images': 'Images',
  'docker.networks': 'Networks',
  'docker.volumes': 'Volumes',
  'docker.unavailable': 'Docker is not available',
  'docker.retry': 'Check again',
  'docker.newStack': 'New stack',
  'docker.name': 'Name',
  'docker.state': 'State',
  'docker.services': 'Services',
  'docker.actions': 'Actions',
  'docker.compose': 'Compose file (YAML)',
  'docker.deploy': 'Deploy',
  'docker.review': 'Safety review',
  'docker.reviewIntro':
    'This compose file gives its containers power over this machine. Deploy it only if you trust it.',
  'docker.accept': 'I understand these risks',
  'docker.deployAnyway': 'Deploy anyway',
  'docker.cancel': 'Cancel',
  'docker.delete': 'Delete',
  'docker.deleteStack': 'Delete stack {name}',
  'docker.keepVolumes': 'Keep the volumes (data)',
  'docker.logs': 'Logs',
  'docker.noStacks': 'No stacks yet',
  'docker.advancedOnly': 'This page is part of advanced mode.',
  'docker.pull': 'Pull',
  'docker.prune': 'Prune unused',
  'docker.create': 'Create',
  'docker.remove': 'Remove',
  'docker.follow': 'Follow',
  'docker.stats': 'Stats',
  'docker.terminal': 'Terminal',
  'docker.close': 'Close',
};
const zh: Record<string, string> = {
  'docker.stacks': '堆栈',
  'docker.containers': '容器',
  'docker.images': '镜像',
  'docker.networks': '网络',
  'docker.volumes': '卷',
  'docker.unavailable': 'Docker 不可用',
  'docker.retry': '重新检查',
  'docker.newStack': '新建堆栈',
  'docker.name': '名称',
  'docker.state': '状态',
  'docker.services': '服务',
  'docker.actions': '操作',
  'docker.compose': 'Compose 文件 (YAML)',
  'docker.deploy': '部署',
  'docker.review': '安全检查',
  'docker.reviewIntro': '此 compose 文件让容器获得对本机的控制权限。仅在信任它时部署。',
  'docker.accept': '我了解这些风险',
  'docker.deployAnyway': '仍然部署',
  'docker.cancel': '取消',
  'docker.delete': '删除',
  'docker.deleteStack': '删除堆栈 {name}',
  'docker.keepVolumes': '保留卷（数据）',
  'docker.logs': '日志',
  'docker.noStacks': '还没有堆栈',
  'docker.advancedOnly': '此页面属于高级模式。',
  'docker.pull': '拉取',
  'docker.prune': '清理未使用的',
  'docker.create': '创建',
  'docker.remove': '移除',
  'docker.follow': '跟随',
  'docker.stats': '统计',
  'docker.terminal': '终端',
  'docker.close': '关闭',
};

let registered = false;
export function useDockerI18n() {
  const i18n = useI18n();
  if (!registered) {
    i18n.addMessages('en', en);
    i18n.addMessages('zh-CN', zh);
    registered = true;
  }
  return i18n;
}

export const docker = () => useApi().plugin('docker');

export interface Status {
  available: boolean;
  error?: string;
  hint?: string;
  engineVersion?: string;
  connection: string;
}

/** The pages' frame: tabs (advanced mode), and the "Docker is not available" state. */
export function DockerPage(props: { title: string; advanced?: boolean; children: JSX.Element }) {
  const { t } = useDockerI18n();
  const mode = useMode();
  const api = docker();
  const [status, { refetch }] = createResource(() => api.get<Status>('/status'));
  const tabs = [
    ['', 'docker.stacks'],
    ['/containers', 'docker.containers'],
    ['/images', 'docker.images'],
    ['/networks', 'docker.networks'],
    ['/volumes', 'docker.volumes'],
  ] as const;
  return (
    <div class="page">
      <h1>{props.title}</h1>
      {mode.isAdvanced() && (
        <nav aria-label="Docker" style={{ display: 'flex', gap: '0.5rem', 'margin-bottom': '1rem' }}>
          <For each={tabs}>
            {([path, key]) => (
              <a class="wc-btn" href={`/p/docker${path}`}>
                {t(key)}
              </a>
            )}
          </For>
        </nav>
      )}
      <Switch>
        <Match when={status.loading}>…</Match>
        <Match when={status.error || (status() && !status()?.available)}>
          <section class="card" role="alert" data-testid="docker-unavailable">
            <h2>{t('docker.unavailable')}</h2>
            <p>{status()?.error ?? String(status.error?.message ?? '')}</p>
            <p style={{ color: 'var(--wc-muted)' }}>{status()?.hint}</p>
            <button type="button" class="wc-btn" onClick={() => refetch()}>
              {t('docker.retry')}
            </button>
          </section>
        </Match>
        <Match when={props.advanced && !mode.isAdvanced()}>
          <p>{t('docker.advancedOnly')}</p>
          <button type="button" class="wc-btn" onClick={() => mode.setMode('advanced')}>
            Advanced mode
          </button>
        </Match>
        <Match when={status()?.available}>{props.children}</Match>
      </Switch>
    </div>
  );
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}
