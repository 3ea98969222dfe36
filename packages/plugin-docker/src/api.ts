// The service this plugin provides with `ctx.provide` and other plugins reach with
// `ctx.use('docker')`. Types only (the "./api" subpath): consumers import it for the
// `PluginServices` augmentation. Every method is async and passes plain data, so it keeps
// working when plugins run in their own process.

// Every method: async, plain data in and out (it may cross a process boundary).

export interface SafetyFinding {
  /** Stable rule id, e.g. "privileged", "host-network", "host-pid", "docker-socket", "sensitive-mount", "cap-add", "devices". */
  rule: string;
  severity: 'danger' | 'warning';
  /** The compose service it was found in. */
  service: string;
  /** Dotted location in the compose file, e.g. "services.app.volumes[0]". */
  path: string;
  message: string;
}

export interface SafetyReview {
  findings: SafetyFinding[];
  /** Parse/shape errors of the compose file itself (empty when it is valid). */
  errors: { path: string; message: string }[];
}

export interface StackService {
  name: string;
  containerId: string | null;
  image: string;
  state: string; // running | exited | created | restarting | ... | missing
  status: string;
  ports: { host: string; hostPort: number; containerPort: number; protocol: string }[];
}

export interface StackInfo {
  name: string;
  /** running | partial | stopped | missing */
  state: string;
  services: StackService[];
  createdAt: number;
  updatedAt: number;
  /** Which plugin created it ("docker" for the UI), so the app store can find its own. */
  owner: string;
}

export interface DeployStackInput {
  /** Compose project name: lower-case letters, digits, '-' and '_'. */
  name: string;
  /** The compose file (YAML or JSON text). */
  compose: string;
  /** Written as `.env` beside the compose file (docker compose reads it for ${VAR} substitution). */
  env?: Record<string, string>;
  /** Rule ids of safety findings the caller accepts (after showing them to the user). Deploy fails with the findings if any is not accepted. */
  acceptRisks?: string[];
  /** Recorded as the stack's owner; defaults to the calling plugin's id if known, else "docker". */
  owner?: string;
  /** Pull images first (default false: use local images; pulling is impossible offline). */
  pull?: boolean;
}

export interface StackRunResult {
  ok: boolean;
  /** The docker plugin's run id (its log holds compose's output; watchable at /ws/runs/<id>). */
  runId: string;
  /** The engine's / compose's error message when !ok. */
  error?: string;
  /** The last lines of compose's output. */
  log: string[];
}

export interface DockerService {
  /** Whether the engine answers, and which compose command is used. */
  status(): Promise<{
    available: boolean;
    error?: string;
    engineVersion?: string;
    compose?: 'v2' | 'v1' | null;
  }>;
  reviewCompose(compose: string): Promise<SafetyReview>;
  /** Write the project under the docker plugin's data dir and `compose up -d` it, as a run. Resolves when the run ends. */
  deployStack(input: DeployStackInput): Promise<StackRunResult>;
  stackAction(name: string, action: 'start' | 'stop' | 'restart' | 'down' | 'pull'): Promise<StackRunResult>;
  removeStack(name: string, options?: { removeVolumes?: boolean }): Promise<StackRunResult>;
  getStack(name: string): Promise<StackInfo | null>;
  listStacks(): Promise<StackInfo[]>;
  stackLogs(name: string, options?: { tail?: number; timestamps?: boolean }): Promise<string>;
  /** For plugin-monitor (already consumes this): CPU % and memory of running containers. */
  containerStats(): Promise<{ id: string; name: string; cpu: number; memBytes: number }[]>;
}

/** Payloads of the bus events this plugin emits (source "docker"). */
export interface DockerContainerEvent {
  id: string;
  name: string;
  image: string;
  /** Compose project, when the container belongs to a stack. */
  stack: string | null;
  /** Epoch milliseconds of the engine event. */
  time: number;
}

export interface DockerContainerDiedEvent extends DockerContainerEvent {
  exitCode: number | null;
}

export interface DockerImagePulledEvent {
  image: string;
  time: number;
}

declare module '@webcasa/plugin-sdk' {
  interface PluginServices {
    docker: DockerService;
  }
}

declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    'docker.container.started': DockerContainerEvent;
    'docker.container.stopped': DockerContainerEvent;
    'docker.container.died': DockerContainerDiedEvent;
    'docker.image.pulled': DockerImagePulledEvent;
  }
}
