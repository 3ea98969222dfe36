import type Docker from 'dockerode';
import { z } from 'zod';
import type { SafetyReview } from './api.js';
import { LABEL_MANAGED } from './labels.js';
import { reviewComposeObject } from './safety.js';

/** `POST /containers`: what the advanced "new container" form sends. */
export const createContainerBody = z
  .object({
    image: z.string().min(1).max(512),
    name: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, "letters, digits, '_', '.' and '-'")
      .optional(),
    cmd: z.array(z.string().max(8192)).max(200).optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a variable name'), z.string().max(32_768))
      .optional(),
    ports: z
      .array(
        z.object({
          host: z.string().max(64).default(''),
          hostPort: z.number().int().min(1).max(65535),
          containerPort: z.number().int().min(1).max(65535),
          protocol: z.enum(['tcp', 'udp']).default('tcp'),
        }),
      )
      .max(100)
      .optional(),
    volumes: z
      .array(
        z.object({
          source: z.string().min(1).max(4096),
          target: z.string().startsWith('/', 'must be an absolute path').max(4096),
          readOnly: z.boolean().default(false),
        }),
      )
      .max(100)
      .optional(),
    limits: z
      .object({
        /** Bytes; the engine's minimum is 6 MiB. */
        memory: z
          .number()
          .int()
          .min(6 * 1024 * 1024)
          .max(2 ** 50)
          .optional(),
        /** CPUs, e.g. 0.5 for half a core. */
        cpus: z.number().min(0.01).max(1024).optional(),
      })
      .optional(),
    restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
    labels: z.record(z.string().max(255), z.string().max(4096)).optional(),
    network: z.string().max(255).optional(),
    privileged: z.boolean().optional(),
    capAdd: z
      .array(z.string().regex(/^[A-Za-z_]+$/))
      .max(50)
      .optional(),
    devices: z.array(z.string().min(1).max(4096)).max(50).optional(),
    tty: z.boolean().optional(),
    start: z.boolean().default(false),
    acceptRisks: z.array(z.string()).max(50).optional(),
  })
  .strict();

export type CreateContainerInput = z.infer<typeof createContainerBody>;

const NAMED_VOLUME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The safety review of a container create, by seeing it as a one-service compose file. */
export function reviewContainer(input: CreateContainerInput): SafetyReview {
  const svc = input.name ?? 'container';
  const service: Record<string, unknown> = { image: input.image };
  if (input.privileged) service.privileged = true;
  if (input.network) service.network_mode = input.network;
  if (input.capAdd) service.cap_add = input.capAdd;
  if (input.devices) service.devices = input.devices;
  if (input.volumes) {
    service.volumes = input.volumes.map((v) => ({
      type: NAMED_VOLUME.test(v.source) ? 'volume' : 'bind',
      source: v.source,
      target: v.target,
      read_only: v.readOnly,
    }));
  }
  const review = reviewComposeObject({ services: { [svc.replace(/[^a-zA-Z0-9_.-]/g, '_')]: service } });
  const rename: Record<string, string> = { network_mode: 'network', cap_add: 'capAdd' };
  return {
    errors: [],
    findings: review.findings.map((f) => {
      const rest = f.path.replace(/^services\.[^.]+\./, '');
      const key = rest.replace(/\[.*$/, '');
      return { ...f, path: `body.${rest.replace(key, rename[key] ?? key)}` };
    }),
  };
}

/** Dockerode's create options for the input; every container gets the panel's label. */
export function toCreateOptions(input: CreateContainerInput): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of input.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    bindings[key] = [...(bindings[key] ?? []), { HostIp: p.host, HostPort: String(p.hostPort) }];
  }
  const host: Docker.HostConfig = {
    PortBindings: bindings,
    Mounts: (input.volumes ?? []).map((v) => ({
      Type: NAMED_VOLUME.test(v.source) ? ('volume' as const) : ('bind' as const),
      Source: v.source,
      Target: v.target,
      ReadOnly: v.readOnly,
    })),
  };
  if (input.limits?.memory) host.Memory = input.limits.memory;
  if (input.limits?.cpus) host.NanoCpus = Math.round(input.limits.cpus * 1e9);
  if (input.restart) host.RestartPolicy = { Name: input.restart === 'no' ? '' : input.restart };
  if (input.network) host.NetworkMode = input.network;
  if (input.privileged) host.Privileged = true;
  if (input.capAdd) host.CapAdd = input.capAdd;
  if (input.devices) {
    host.Devices = input.devices.map((d) => {
      const [onHost = d, inContainer = onHost, perms = 'rwm'] = d.split(':');
      return { PathOnHost: onHost, PathInContainer: inContainer, CgroupPermissions: perms };
    });
  }
  return {
    Image: input.image,
    ...(input.name ? { name: input.name } : {}),
    ...(input.cmd ? { Cmd: input.cmd } : {}),
    Env: Object.entries(input.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...(input.labels ?? {}), [LABEL_MANAGED]: '1' },
    ExposedPorts: exposed,
    Tty: input.tty ?? false,
    HostConfig: host,
  };
}
