import type {
  AccessLogEntry,
  ActionInfo,
  AdminPluginList,
  ApiToken,
  ApplyResult,
  AuditEntry,
  AuditQuery,
  CaddySettings,
  CaddyStatus,
  ConfigProfile,
  CoreSettings,
  CreatedToken,
  DomainCertificate,
  HistoryMetric,
  Info,
  InstalledPlugin,
  InstallPlan,
  InstallSource,
  LogEntry,
  LogFileInfo,
  LoginBody,
  LogQuery,
  Me,
  Message,
  MessageQuery,
  MetricsHistory,
  MetricsSnapshot,
  PluginConfig,
  PluginInfo,
  PluginSearchResult,
  PluginSummary,
  PluginVersions,
  RegistrySettings,
  Role,
  Run,
  RunArtifact,
  RunStatus,
  SessionAnswer,
  SetupBody,
  Site,
  SiteInput,
  User,
} from './types.js';

/** The JSON error shape of every failed API call, as a throwable. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the request never got an answer (network down). */
    readonly status: number,
    /** Stable code, e.g. `WEBCASA_UNAUTHORIZED`; `WEBCASA_NETWORK` when there was no answer. */
    readonly code: string,
    message: string,
    /** The input at fault, e.g. `body.password`. */
    readonly field?: string,
    readonly details?: { issues?: { field: string; message: string }[]; [key: string]: unknown },
    readonly requestId?: string,
  ) {
    super(message);
  }

  /**
   * Messages per input field, keyed without the `body.` / `query.` prefix.
   *
   * @example
   * try { await api.plugins.setConfig('uptime', values) } catch (e) {
   *   if (e instanceof ApiError) setErrors(e.fieldErrors());   // { intervalSeconds: 'must be >= 10' }
   * }
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const issues = this.details?.issues ?? (this.field ? [{ field: this.field, message: this.message }] : []);
    for (const issue of issues) {
      const key = issue.field.replace(/^(body|query|params)\.?/, '');
      // Messages repeat the field name ("body.x: must be …"): keep only the reason.
      out[key || '_'] ??= issue.message.replace(/^[\w.]+: /, '');
    }
    return out;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (text, `FormData`), with `contentType` when given. */
  raw?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Do not report a 401 to `onUnauthorized` (used for the first `me` call:
   * not being signed in yet is not a session that expired).
   */
  quiet401?: boolean;
}

export interface ApiOptions {
  /** Origin and prefix the paths are relative to. Default: the page's origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called once per failed request answered `401 WEBCASA_UNAUTHORIZED`: the session ended. */
  onUnauthorized?: (error: ApiError) => void;
  csrfToken?: string | null;
}

/** Requests under one prefix: what `api.plugin(id)` gives a plugin for its own routes. */
export interface RequestClient {
  request<T = unknown>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T>;
  get<T = unknown>(path: string, query?: Query): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
  /** Absolute `ws:`/`wss:` URL of a WebSocket path under this prefix (`/ws/…` for the core). */
  socketUrl(path: string): string;
}

/** The typed client of the core API, shared by the shell and plugins. */
export interface Api extends RequestClient {
  /** The CSRF token sent with every POST, PUT, PATCH and DELETE. Set by login, setup and `auth.me()`. */
  csrfToken(): string | null;
  setCsrfToken(token: string | null): void;
  info(): Promise<Info>;
  auth: {
    /** The signed-in user, or null when not signed in. */
    me(): Promise<Me | null>;
    login(body: LoginBody): Promise<SessionAnswer>;
    logout(): Promise<void>;
    setupNeeded(): Promise<boolean>;
    setup(body: SetupBody): Promise<SessionAnswer>;
    changePassword(body: { currentPassword: string; newPassword: string }): Promise<void>;
  };
  users: {
    list(): Promise<User[]>;
    create(body: { username: string; password: string; role: Role }): Promise<User>;
    update(id: number, patch: { role?: Role; disabled?: boolean; password?: string }): Promise<User>;
    remove(id: number): Promise<void>;
  };
  tokens: {
    list(options?: { all?: boolean }): Promise<ApiToken[]>;
    create(body: { name: string; scopes?: string[]; expiresInDays?: number }): Promise<CreatedToken>;
    revoke(id: number): Promise<void>;
  };
  audit: {
    list(query?: AuditQuery): Promise<{ items: AuditEntry[]; nextBefore: number | null }>;
  };
  settings: {
    get(): Promise<CoreSettings>;
    update(patch: Partial<CoreSettings>): Promise<CoreSettings>;
  };
  plugins: {
    /** Running plugins with their menus and routes (any signed-in user). */
    list(): Promise<PluginSummary[]>;
    /** Every plugin with status and errors (admin). */
    adminList(): Promise<AdminPluginList>;
    get(id: string): Promise<PluginInfo>;
    enable(id: string, options?: { cascade?: boolean }): Promise<PluginInfo>;
    disable(id: string, options?: { cascade?: boolean }): Promise<PluginInfo>;
    config(id: string): Promise<PluginConfig>;
    setConfig(id: string, patch: Record<string, unknown>): Promise<{ config: Record<string, unknown> }>;
    /** Run the plugin in its own process (`process`) or in the panel's (panels with isolation). */
    setIsolation(id: string, mode: 'process' | 'in-process'): Promise<PluginInfo>;
    profiles(id: string): Promise<ConfigProfile[]>;
    /** A copy of the current settings, or of `copyFrom`. */
    createProfile(id: string, name: string, copyFrom?: string): Promise<ConfigProfile[]>;
    activateProfile(id: string, name: string): Promise<{ config: Record<string, unknown> }>;
    deleteProfile(id: string, name: string): Promise<void>;
    /** URL of the settings as a TOML download (secrets masked). */
    tomlUrl(id: string): string;
    /** Replace the settings from TOML text; a 400 names the bad field. */
    importToml(id: string, toml: string): Promise<{ config: Record<string, unknown> }>;
  };
  /**
   * Installing plugins from an npm registry (or an uploaded `.tgz`) at run time (admins).
   * Install, update and uninstall answer with a run id: follow it with `followRun`/`RunProgress`.
   */
  installer: {
    /** Registry packages with keyword `webcasa-plugin`. */
    search(q: string, size?: number): Promise<PluginSearchResult[]>;
    installed(): Promise<InstalledPlugin[]>;
    /** Download and read a plugin without running it: permissions, dependencies, problems. */
    preview(source: InstallSource): Promise<InstallPlan>;
    install(
      source: InstallSource,
      options: { acceptPermissions: string[]; installDependencies?: boolean },
    ): Promise<{ runId: string }>;
    versions(id: string): Promise<PluginVersions>;
    update(id: string, version?: string): Promise<{ runId: string }>;
    uninstall(id: string, options?: { keepData?: boolean; cascade?: boolean }): Promise<{ runId: string }>;
    registry(): Promise<RegistrySettings>;
    /** `null` clears a value (back to the environment's or npmjs); an absent one is kept. */
    setRegistry(patch: { url?: string | null; token?: string | null }): Promise<RegistrySettings>;
  };
  /** Actions of running plugins (`GET /api/actions`). */
  actions: {
    list(): Promise<ActionInfo[]>;
  };
  runs: {
    list(query?: { plugin?: string; status?: RunStatus; limit?: number; before?: string }): Promise<{
      runs: Run[];
      next: string | null;
    }>;
    get(id: string): Promise<Run>;
    cancel(id: string): Promise<Run>;
    /**
     * Start a plugin's action as a run. With files, sent as multipart
     * (`input` as JSON text, each file under its field name).
     */
    start(
      body: { plugin: string; action: string; input?: Record<string, unknown> },
      files?: { field: string; file: Blob; name?: string }[],
    ): Promise<{ id: string; status: RunStatus }>;
    artifacts(id: string): Promise<RunArtifact[]>;
    /** URL of the log download (`text` or `ndjson`). */
    logUrl(id: string, format?: 'text' | 'ndjson'): string;
    /** URL of the live `/ws/runs/:id` stream. */
    socketUrl(id: string): string;
  };
  /** Messages plugins sent (`ctx.notify`), newest first, with the unread count. */
  messages: {
    list(query?: MessageQuery): Promise<{ items: Message[]; unread: number; nextBefore: number | null }>;
    read(id: number): Promise<void>;
    readAll(): Promise<{ marked: number }>;
    dismiss(id: number): Promise<void>;
  };
  /** A plugin's log (admins); `core` for the panel's own. */
  logs: {
    query(id: string, query?: LogQuery): Promise<{ lines: LogEntry[]; truncated: boolean }>;
    files(id: string): Promise<LogFileInfo[]>;
    downloadUrl(id: string, file: string): string;
    /** Live lines over WebSocket (`level` and a substring `q`). */
    socketUrl(id: string, query?: Pick<LogQuery, 'level' | 'q'>): string;
  };
  /** Per-plugin metrics (admins). */
  metrics: {
    snapshot(): Promise<MetricsSnapshot>;
    history(query?: {
      plugin?: string;
      metric?: HistoryMetric;
      from?: number;
      to?: number;
      points?: number;
    }): Promise<MetricsHistory>;
  };
  /** Sites served by Caddy. */
  sites: {
    list(): Promise<Site[]>;
    get(id: number): Promise<Site>;
    create(input: SiteInput): Promise<Site>;
    update(id: number, patch: Partial<SiteInput>): Promise<Site>;
    remove(id: number): Promise<void>;
    /** The generated Caddy routes of one site (secrets redacted). */
    config(id: number): Promise<unknown>;
    accessLog(
      id: number,
      lines?: number,
    ): Promise<{ enabled: boolean; file: string; entries: AccessLogEntry[] }>;
    accessLogSocketUrl(id: number): string;
    certificates(id: number): Promise<DomainCertificate[]>;
    caddy: {
      status(): Promise<CaddyStatus>;
      /** The whole generated Caddy JSON (secrets redacted). */
      config(): Promise<unknown>;
      reload(): Promise<ApplyResult>;
      settings(): Promise<{ settings: CaddySettings; fromEnv: string[] }>;
      updateSettings(patch: { [K in keyof CaddySettings]?: CaddySettings[K] | null }): Promise<CaddyStatus>;
      rootCaUrl(): string;
    };
  };
  /**
   * A client for a plugin's own routes under `/api/plugins/<id>/`, with the same
   * CSRF and session handling.
   *
   * @example
   * const uptime = useApi().plugin('uptime');
   * const checks = await uptime.get<Check[]>('/checks');
   * await uptime.post('/checks/run');
   */
  plugin(id: string): RequestClient;
}

/** The multipart body of an uploaded plugin: `tarball`, and the admin's answers when installing. */
function tarballForm(
  source: { tarball: Blob; name?: string },
  answers?: { acceptPermissions: string[]; installDependencies?: boolean },
): FormData {
  const form = new FormData();
  form.append('tarball', source.tarball, source.name ?? (source.tarball as File).name ?? 'plugin.tgz');
  if (answers) {
    form.set('acceptPermissions', answers.acceptPermissions.join(','));
    form.set('installDependencies', answers.installDependencies ? 'true' : 'false');
  }
  return form;
}

const MUTATING = new Set<HttpMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

async function toApiError(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(
      response.status,
      error.code,
      String(error.message ?? response.statusText),
      typeof error.field === 'string' ? error.field : undefined,
      error.details as ApiError['details'],
      requestId,
    );
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `${response.status} ${response.statusText}`.trim(),
    undefined,
    undefined,
    requestId,
  );
}

/**
 * Create the API client. The shell makes one and shares it through
 * {@link ShellProvider}; plugins get it with `useApi()`.
 *
 * - Sends the session cookie (same origin) and `X-CSRF-Token` on mutating requests.
 * - Turns every error answer into an {@link ApiError} with the panel's stable `code`.
 * - Reports `401 WEBCASA_UNAUTHORIZED` (the session expired or was ended) to `onUnauthorized`,
 *   once per request, so the shell can send the user back to the sign-in page.
 *
 * @example
 * const api = createApi({ onUnauthorized: () => navigate('/login?expired=1') });
 * const { user, csrfToken } = await api.auth.login({ username, password });
 * const users = await api.users.list();
 */
export function createApi(options: ApiOptions = {}): Api {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = (options.baseUrl ?? '').replace(/\/$/, '');
  let csrf = options.csrfToken ?? null;

  async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    else if (opts.contentType) headers['Content-Type'] = opts.contentType;
    if (MUTATING.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
    let response: Response;
    try {
      response = await doFetch(`${base}${withQuery(path, opts.query)}`, {
        method,
        headers,
        body: opts.body === undefined ? opts.raw : JSON.stringify(opts.body),
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      throw new ApiError(0, 'WEBCASA_NETWORK', `the panel did not answer (${(error as Error).message})`);
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (error.status === 401 && error.code === 'WEBCASA_UNAUTHORIZED' && !opts.quiet401) {
        options.onUnauthorized?.(error);
      }
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get('content-type') ?? '';
    // `application/json` and `…+json` are parsed; NDJSON and other text come back as text.
    return (/\bjson\b/.test(type) ? await response.json() : await response.text()) as T;
  }

  function socketUrl(path: string): string {
    const origin = base && /^https?:/.test(base) ? base : `${globalThis.location?.origin ?? ''}${base}`;
    return `${origin.replace(/^http/, 'ws')}${path}`;
  }

  function client(prefix: string): RequestClient {
    return {
      request: (method, path, opts) => request(method, `${prefix}${path}`, opts),
      get: (path, query) => request('GET', `${prefix}${path}`, { query }),
      post: (path, body) => request('POST', `${prefix}${path}`, { body }),
      put: (path, body) => request('PUT', `${prefix}${path}`, { body }),
      patch: (path, body) => request('PATCH', `${prefix}${path}`, { body }),
      delete: (path) => request('DELETE', `${prefix}${path}`),
      socketUrl: (path) => socketUrl(prefix ? `/ws/plugins/${prefix.split('/')[3]}${path}` : path),
    };
  }

  const root = client('');
  const enc = encodeURIComponent;
  const adminPlugin = (id: string, rest = '') => `/api/admin/plugins/${enc(id)}${rest}`;
  const logBase = (id: string) => (id === 'core' ? '/api/admin/logs' : adminPlugin(id, '/logs'));
  const logQuery = (q: LogQuery = {}): Query => ({ ...q, regex: q.regex || undefined });
  const session = (answer: SessionAnswer) => {
    csrf = answer.csrfToken;
    return answer;
  };

  return {
    ...root,
    csrfToken: () => csrf,
    setCsrfToken: (token) => {
      csrf = token;
    },
    info: () => request('GET', '/api/info'),
    auth: {
      me: async () => {
        try {
          const me = await request<Me>('GET', '/api/auth/me', { quiet401: true });
          csrf = me.csrfToken ?? csrf;
          return me;
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) return null;
          throw error;
        }
      },
      login: async (body) => session(await request('POST', '/api/auth/login', { body, quiet401: true })),
      logout: async () => {
        try {
          await request('POST', '/api/auth/logout', { quiet401: true });
        } finally {
          csrf = null;
        }
      },
      setupNeeded: async () => (await request<{ needed: boolean }>('GET', '/api/auth/setup')).needed,
      setup: async (body) => session(await request('POST', '/api/auth/setup', { body, quiet401: true })),
      changePassword: (body) => request('POST', '/api/auth/password', { body }),
    },
    users: {
      list: async () => (await request<{ items: User[] }>('GET', '/api/users')).items,
      create: (body) => request('POST', '/api/users', { body }),
      update: (id, patch) => request('PATCH', `/api/users/${id}`, { body: patch }),
      remove: (id) => request('DELETE', `/api/users/${id}`),
    },
    tokens: {
      list: async (opts) =>
        (
          await request<{ items: ApiToken[] }>('GET', '/api/tokens', {
            query: { all: opts?.all || undefined },
          })
        ).items,
      create: (body) => request('POST', '/api/tokens', { body }),
      revoke: (id) => request('DELETE', `/api/tokens/${id}`),
    },
    audit: {
      list: (query) => request('GET', '/api/admin/audit', { query: query as Query }),
    },
    settings: {
      get: () => request('GET', '/api/settings'),
      update: (patch) => request('PATCH', '/api/admin/settings', { body: patch }),
    },
    plugins: {
      list: async () => (await request<{ plugins: PluginSummary[] }>('GET', '/api/plugins')).plugins,
      adminList: () => request('GET', '/api/admin/plugins'),
      get: (id) => request('GET', `/api/admin/plugins/${enc(id)}`),
      enable: (id, opts) =>
        request('POST', `/api/admin/plugins/${enc(id)}/enable`, {
          query: { cascade: opts?.cascade ? 'true' : undefined },
        }),
      disable: (id, opts) =>
        request('POST', `/api/admin/plugins/${enc(id)}/disable`, {
          query: { cascade: opts?.cascade ? 'true' : undefined },
        }),
      config: (id) => request('GET', adminPlugin(id, '/config')),
      setConfig: (id, patch) => request('PUT', adminPlugin(id, '/config'), { body: patch }),
      setIsolation: (id, mode) => request('POST', adminPlugin(id, '/isolation'), { body: { mode } }),
      profiles: async (id) =>
        (await request<{ profiles: ConfigProfile[] }>('GET', adminPlugin(id, '/profiles'))).profiles,
      createProfile: async (id, name, copyFrom) =>
        (
          await request<{ profiles: ConfigProfile[] }>('POST', adminPlugin(id, '/profiles'), {
            body: { name, copyFrom },
          })
        ).profiles,
      activateProfile: (id, name) => request('POST', adminPlugin(id, `/profiles/${enc(name)}/activate`)),
      deleteProfile: (id, name) => request('DELETE', adminPlugin(id, `/profiles/${enc(name)}`)),
      tomlUrl: (id) => `${base}${adminPlugin(id, '/config.toml')}`,
      importToml: (id, toml) =>
        request('PUT', adminPlugin(id, '/config.toml'), { raw: toml, contentType: 'application/toml' }),
    },
    installer: {
      search: async (q, size) =>
        (
          await request<{ results: PluginSearchResult[] }>('GET', '/api/admin/plugins/search', {
            query: { q, size },
          })
        ).results,
      installed: async () =>
        (await request<{ installed: InstalledPlugin[] }>('GET', '/api/admin/plugins/installed')).installed,
      preview: (source) =>
        'spec' in source
          ? request('POST', '/api/admin/plugins/install/preview', { body: { spec: source.spec } })
          : request('POST', '/api/admin/plugins/install/preview', { raw: tarballForm(source) }),
      install: (source, opts) =>
        'spec' in source
          ? request('POST', '/api/admin/plugins/install', { body: { spec: source.spec, ...opts } })
          : request('POST', '/api/admin/plugins/install', { raw: tarballForm(source, opts) }),
      versions: (id) => request('GET', adminPlugin(id, '/versions')),
      update: (id, version) =>
        request('POST', adminPlugin(id, '/update'), { body: version ? { version } : {} }),
      uninstall: (id, opts) =>
        request('DELETE', adminPlugin(id), {
          query: {
            keepData: opts?.keepData ? 'true' : undefined,
            cascade: opts?.cascade ? 'true' : undefined,
          },
        }),
      registry: () => request('GET', '/api/admin/plugins/registry'),
      setRegistry: (patch) => request('PUT', '/api/admin/plugins/registry', { body: patch }),
    },
    actions: {
      list: async () => (await request<{ actions: ActionInfo[] }>('GET', '/api/actions')).actions,
    },
    runs: {
      list: (query) => request('GET', '/api/runs', { query }),
      get: (id) => request('GET', `/api/runs/${enc(id)}`),
      cancel: (id) => request('POST', `/api/runs/${enc(id)}/cancel`),
      start: (body, files) => {
        if (!files?.length) return request('POST', '/api/runs', { body });
        const form = new FormData();
        form.set('plugin', body.plugin);
        form.set('action', body.action);
        if (body.input) form.set('input', JSON.stringify(body.input));
        for (const f of files) form.append(f.field, f.file, f.name ?? (f.file as File).name ?? 'file');
        return request('POST', '/api/runs', { raw: form });
      },
      artifacts: async (id) =>
        (await request<{ artifacts: RunArtifact[] }>('GET', `/api/runs/${enc(id)}/artifacts`)).artifacts,
      logUrl: (id, format = 'text') => `${base}/api/runs/${enc(id)}/log?format=${format}`,
      socketUrl: (id) => socketUrl(`/ws/runs/${enc(id)}`),
    },
    messages: {
      list: (query) =>
        request('GET', '/api/messages', { query: { ...query, unread: query?.unread ? 'true' : undefined } }),
      read: (id) => request('POST', `/api/messages/${id}/read`),
      readAll: () => request('POST', '/api/messages/read-all'),
      dismiss: (id) => request('DELETE', `/api/messages/${id}`),
    },
    logs: {
      query: (id, q) => request('GET', logBase(id), { query: logQuery(q) }),
      files: async (id) => (await request<{ items: LogFileInfo[] }>('GET', `${logBase(id)}/files`)).items,
      downloadUrl: (id, file) => `${base}${withQuery(`${logBase(id)}/download`, { file })}`,
      socketUrl: (id, q) =>
        socketUrl(withQuery(id === 'core' ? '/ws/admin/logs' : `/ws/admin/plugins/${enc(id)}/logs`, q)),
    },
    metrics: {
      snapshot: () => request('GET', '/api/admin/metrics'),
      history: (query) => request('GET', '/api/admin/metrics/history', { query }),
    },
    sites: {
      list: async () => (await request<{ sites: Site[] }>('GET', '/api/sites')).sites,
      get: (id) => request('GET', `/api/sites/${id}`),
      create: (input) => request('POST', '/api/sites', { body: input }),
      update: (id, patch) => request('PUT', `/api/sites/${id}`, { body: patch }),
      remove: (id) => request('DELETE', `/api/sites/${id}`),
      config: (id) => request('GET', `/api/sites/${id}/config`),
      accessLog: (id, lines) => request('GET', `/api/sites/${id}/access-log`, { query: { lines } }),
      accessLogSocketUrl: (id) => socketUrl(`/ws/sites/${id}/access-log`),
      certificates: async (id) =>
        (await request<{ certificates: DomainCertificate[] }>('GET', `/api/sites/${id}/certificates`))
          .certificates,
      caddy: {
        status: () => request('GET', '/api/sites/caddy'),
        config: () => request('GET', '/api/sites/caddy/config'),
        reload: () => request('POST', '/api/sites/caddy/reload'),
        settings: () => request('GET', '/api/sites/caddy/settings'),
        updateSettings: (patch) => request('PUT', '/api/sites/caddy/settings', { body: patch }),
        rootCaUrl: () => `${base}/api/sites/caddy/root-ca`,
      },
    },
    plugin: (id) => client(`/api/plugins/${enc(id)}`),
  };
}
