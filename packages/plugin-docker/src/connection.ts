import Docker from 'dockerode';

/**
 * How to reach a Docker engine. Only the local socket is used (and tested) today; TCP with
 * TLS is here so remote engines are a configuration change, not a rewrite. (SSH comes later.)
 */
export type ConnectionConfig =
  | { kind: 'socket'; path: string }
  | { kind: 'tcp'; host: string; port: number; tls?: { ca?: string; cert?: string; key?: string } };

/** The plugin's settings that describe the connection (see manifest.json `config`). */
export interface ConnectionSettings {
  connection?: 'socket' | 'tcp';
  socketPath?: string;
  tcpHost?: string;
  tcpPort?: number;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';

export function connectionFromSettings(s: ConnectionSettings): ConnectionConfig {
  if (s.connection === 'tcp' && s.tcpHost) {
    const tls =
      s.tlsCa || s.tlsCert || s.tlsKey ? { ca: s.tlsCa, cert: s.tlsCert, key: s.tlsKey } : undefined;
    return { kind: 'tcp', host: s.tcpHost, port: s.tcpPort ?? (tls ? 2376 : 2375), ...(tls ? { tls } : {}) };
  }
  return { kind: 'socket', path: s.socketPath || DEFAULT_SOCKET_PATH };
}

/**
 * A Dockerode client for the connection. No API version is pinned: the engine's own default
 * is used (1.41 here), so one client works with old and new engines.
 */
export function createDocker(config: ConnectionConfig): Docker {
  if (config.kind === 'socket') return new Docker({ socketPath: config.path });
  const tls = config.tls;
  return new Docker({
    host: config.host,
    port: config.port,
    protocol: tls ? 'https' : 'http',
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
  });
}

/** `DOCKER_HOST` for the compose CLI, pointing at the same engine. */
export function dockerHostEnv(config: ConnectionConfig): Record<string, string> {
  if (config.kind === 'socket') return { DOCKER_HOST: `unix://${config.path}` };
  const env: Record<string, string> = { DOCKER_HOST: `tcp://${config.host}:${config.port}` };
  if (config.tls) env.DOCKER_TLS_VERIFY = '1';
  return env;
}

/** Where the connection points, for messages. */
export function describeConnection(config: ConnectionConfig): string {
  return config.kind === 'socket' ? `unix://${config.path}` : `tcp://${config.host}:${config.port}`;
}
