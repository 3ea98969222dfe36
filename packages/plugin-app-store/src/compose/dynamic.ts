import type { DynamicCompose, DynamicService } from '../store/schema.js';
import { type ComposeDoc, type ComposeOptions, type ComposeService, mainPortMapping } from './types.js';

/**
 * Runtipi's "dynamic compose" (`docker-compose.json`: a list of services in camelCase) to a
 * compose file. Only what the app declares is written; Runtipi's Traefik labels and its shared
 * `tipi_main_network` are not, because Web.Casa proxies through Caddy to the published port
 * and the services of one app reach each other on the project's default network.
 */
export function dynamicToCompose(doc: DynamicCompose, options: ComposeOptions): ComposeDoc {
  const services: Record<string, ComposeService> = {};
  for (const service of doc.services) services[service.name] = convertService(service, options);
  return { services };
}

function convertService(s: DynamicService, options: ComposeOptions): ComposeService {
  const out: ComposeService = { image: s.image };
  set(out, 'command', s.command);
  set(out, 'entrypoint', s.entrypoint);
  if (s.environment) out.environment = environmentMap(s.environment);
  const ports: string[] = [];
  if (s.isMain && s.internalPort !== undefined && s.networkMode === undefined) {
    ports.push(mainPortMapping(s.internalPort, options.publish));
  }
  for (const p of s.addPorts ?? []) {
    const prefix = p.interface ? `${p.interface}:` : '';
    const both = p.tcp === true && p.udp === true;
    if (p.udp !== true || both || p.tcp === true) ports.push(`${prefix}${p.hostPort}:${p.containerPort}`);
    if (p.udp === true) ports.push(`${prefix}${p.hostPort}:${p.containerPort}/udp`);
  }
  if (ports.length) out.ports = ports;
  if (s.volumes?.length) {
    out.volumes = s.volumes.map((v) => {
      // Short syntax cannot say bind propagation; the long form can.
      if (v.shared || v.private) {
        return {
          type: 'bind',
          source: v.hostPath,
          target: v.containerPath,
          read_only: v.readOnly === true,
          bind: { propagation: v.shared ? 'shared' : 'private' },
        };
      }
      return `${v.hostPath}:${v.containerPath}${v.readOnly ? ':ro' : ''}`;
    });
  }
  if (s.dependsOn) out.depends_on = s.dependsOn;
  if (s.healthCheck) {
    const h = s.healthCheck;
    const check: Record<string, unknown> = { test: h.test };
    set(check, 'interval', h.interval);
    set(check, 'timeout', h.timeout);
    set(check, 'retries', h.retries);
    set(check, 'start_period', h.startPeriod);
    set(check, 'start_interval', h.startInterval);
    out.healthcheck = check;
  }
  set(out, 'network_mode', s.networkMode);
  set(out, 'extra_hosts', s.extraHosts);
  set(out, 'ulimits', s.ulimits);
  set(out, 'sysctls', s.sysctls);
  set(out, 'cap_add', s.capAdd);
  set(out, 'cap_drop', s.capDrop);
  set(out, 'deploy', s.deploy);
  set(out, 'hostname', s.hostname);
  set(out, 'devices', s.devices);
  set(out, 'pid', s.pid);
  set(out, 'privileged', s.privileged);
  set(out, 'tty', s.tty);
  set(out, 'user', s.user);
  set(out, 'working_dir', s.workingDir);
  set(out, 'shm_size', s.shmSize);
  set(out, 'logging', s.logging);
  set(out, 'read_only', s.readOnly);
  set(out, 'security_opt', s.securityOpt);
  set(out, 'stop_signal', s.stopSignal);
  set(out, 'stop_grace_period', s.stopGracePeriod);
  set(out, 'stdin_open', s.stdinOpen);
  if (s.extraLabels) {
    out.labels = Object.fromEntries(Object.entries(s.extraLabels).map(([k, v]) => [k, String(v)]));
  }
  out.restart = 'unless-stopped';
  return out;
}

/** Both environment shapes as one `{ KEY: "value" }` map (compose wants strings). */
export function environmentMap(
  env: Record<string, string | number | boolean> | { key: string; value: string | number | boolean }[],
): Record<string, string> {
  const entries = Array.isArray(env) ? env.map((e) => [e.key, e.value] as const) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

function set(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}
