import { useApi, useI18n, useMode, useToast } from '@webcasa/ui';
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
  'docker.createContainer': 'Create container',
  'docker.image': 'Image',
  'docker.command': 'Command',
  'docker.commandHint':
    "Arguments separated by spaces; quotes keep spaces together. Empty: the image's own command.",
  'docker.env': 'Environment (KEY=VALUE, one per line)',
  'docker.ports': 'Ports (host:container[/udp], one per line)',
  'docker.mounts': 'Volumes (host path or volume name:container path[:ro], one per line)',
  'docker.restart': 'Restart policy',
  'docker.restart.default': 'Default (never)',
  'docker.restart.no': 'Never',
  'docker.restart.always': 'Always',
  'docker.restart.unless-stopped': 'Unless stopped',
  'docker.restart.on-failure': 'On failure',
  'docker.memory': 'Memory limit (MiB)',
  'docker.cpus': 'CPUs',
  'docker.startNow': 'Start after creating',
  'docker.created': 'Container {name} created',
  'docker.createAnyway': 'Create anyway',
  'docker.reviewContainerIntro':
    'This container would get power over this machine. Create it only if you trust the image.',
  'docker.err.required': 'Required',
  'docker.err.quote': 'A quote is not closed',
  'docker.err.env': 'Line {line}: expected KEY=VALUE',
  'docker.err.port': 'Line {line}: expected host port:container port, e.g. 8080:80 or 127.0.0.1:8080:80/tcp',
  'docker.err.volume': 'Line {line}: expected source:/path/in/container, optionally :ro',
  'docker.err.number': 'Not a positive number',
  'docker.tag': 'Tag',
  'docker.tagImage': 'Tag {image}',
  'docker.repo': 'Repository',
  'docker.tagged': 'Tagged as {image}',
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
  'docker.createContainer': '创建容器',
  'docker.image': '镜像',
  'docker.command': '命令',
  'docker.commandHint': '参数以空格分隔；引号内的空格保留。留空则使用镜像自带的命令。',
  'docker.env': '环境变量（KEY=VALUE，每行一个）',
  'docker.ports': '端口（主机:容器[/udp]，每行一个）',
  'docker.mounts': '卷（主机路径或卷名:容器路径[:ro]，每行一个）',
  'docker.restart': '重启策略',
  'docker.restart.default': '默认（不重启）',
  'docker.restart.no': '不重启',
  'docker.restart.always': '总是',
  'docker.restart.unless-stopped': '除非手动停止',
  'docker.restart.on-failure': '失败时',
  'docker.memory': '内存上限 (MiB)',
  'docker.cpus': 'CPU 数',
  'docker.startNow': '创建后启动',
  'docker.created': '已创建容器 {name}',
  'docker.createAnyway': '仍然创建',
  'docker.reviewContainerIntro': '此容器将获得对本机的控制权限。仅在信任该镜像时创建。',
  'docker.err.required': '必填',
  'docker.err.quote': '引号未闭合',
  'docker.err.env': '第 {line} 行：应为 KEY=VALUE',
  'docker.err.port': '第 {line} 行：应为 主机端口:容器端口，例如 8080:80 或 127.0.0.1:8080:80/tcp',
  'docker.err.volume': '第 {line} 行：应为 来源:/容器内路径，可加 :ro',
  'docker.err.number': '不是正数',
  'docker.tag': '标签',
  'docker.tagImage': '为 {image} 添加标签',
  'docker.repo': '仓库',
  'docker.tagged': '已添加标签 {image}',
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

/**
 * A list page's action runner: do the call, then reload the list; a refusal becomes an
 * error toast (the list is not reloaded, nothing changed).
 */
export function useListAction(refetch: () => unknown) {
  const toast = useToast();
  return async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await refetch();
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };
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
