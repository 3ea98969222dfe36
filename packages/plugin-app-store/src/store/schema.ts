import { z } from 'zod';

/**
 * Zod schemas of the Runtipi appstore format: `config.json` (app-info-schema.json) and the
 * dynamic compose `docker-compose.json` (dynamic-compose-schema.json). They are lenient
 * where real stores are (unknown keys are accepted and dropped, `environment` comes as a map
 * or as `[{ key, value }]`, ports as numbers or strings) and strict where a wrong value would
 * break an install (ids, ports, form field types).
 */

export const FORM_FIELD_TYPES = [
  'text',
  'password',
  'email',
  'number',
  'fqdn',
  'ip',
  'fqdnip',
  'url',
  'random',
  'boolean',
] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const formFieldSchema = z.object({
  type: z.enum(FORM_FIELD_TYPES, { message: `must be one of ${FORM_FIELD_TYPES.join(', ')}` }),
  label: z.string().min(1),
  placeholder: z.string().optional(),
  max: z.number().optional(),
  min: z.number().optional(),
  hint: z.string().optional(),
  options: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  required: z.boolean().default(false),
  default: z.union([z.boolean(), z.string(), z.number()]).optional(),
  regex: z
    .string()
    .refine(
      (r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'is not a valid regular expression' },
    )
    .optional(),
  pattern_error: z.string().optional(),
  env_variable: z.string().regex(ENV_NAME, 'must be an environment variable name'),
  encoding: z.enum(['hex', 'base64']).optional(),
});
export type FormField = z.infer<typeof formFieldSchema>;

export const APP_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const appConfigSchema = z.object({
  id: z
    .string({ message: 'is required (a string)' })
    .regex(APP_ID, 'must be lower-case letters, digits, - or _'),
  name: z.string({ message: 'is required (a string)' }).min(1),
  available: z.boolean().default(true),
  deprecated: z.boolean().default(false),
  port: z.number({ message: 'must be a number' }).int().min(1).max(65535).optional(),
  description: z.string().default(''),
  version: z.union([z.string(), z.number().transform(String)]).default('latest'),
  tipi_version: z.number({ message: 'is required (a number)' }).int().min(0),
  short_desc: z.string().default(''),
  author: z.string().default(''),
  source: z.string().default(''),
  website: z.string().optional(),
  force_expose: z.boolean().default(false),
  categories: z.array(z.string()).default([]),
  url_suffix: z.string().optional(),
  form_fields: z.array(formFieldSchema).default([]),
  https: z.boolean().default(false),
  exposable: z.boolean().default(false),
  no_gui: z.boolean().default(false),
  supported_architectures: z.array(z.string()).optional(),
  uid: z.number().optional(),
  gid: z.number().optional(),
  dynamic_config: z.boolean().default(false),
  min_tipi_version: z.string().optional(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
  force_pull: z.boolean().default(false),
});
export type AppConfig = z.infer<typeof appConfigSchema>;

const portValue = z.union([z.number().int().min(0).max(65535), z.string().min(1)]);
const ulimit = z.union([z.number(), z.object({ soft: z.number(), hard: z.number() })]);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `environment` as `{ KEY: value }` or `[{ key, value }]` (both occur in real stores). */
export const environmentSchema = z.union([
  z.record(z.string(), scalar),
  z.array(z.object({ key: z.string().min(1), value: scalar })),
]);

export const dynamicServiceSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a compose service name'),
  image: z.string().min(1),
  internalPort: portValue.optional(),
  isMain: z.boolean().optional(),
  networkMode: z.string().optional(),
  extraHosts: z.array(z.string()).optional(),
  ulimits: z.record(z.string(), ulimit).optional(),
  addToMainNetwork: z.boolean().optional(),
  addPorts: z
    .array(
      z.object({
        containerPort: portValue,
        hostPort: portValue,
        udp: z.boolean().optional(),
        tcp: z.boolean().optional(),
        interface: z.string().optional(),
      }),
    )
    .optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  volumes: z
    .array(
      z.object({
        hostPath: z.string().min(1),
        containerPath: z.string().min(1),
        readOnly: z.boolean().optional(),
        shared: z.boolean().optional(),
        private: z.boolean().optional(),
      }),
    )
    .optional(),
  environment: environmentSchema.optional(),
  sysctls: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  healthCheck: z
    .object({
      test: z.union([z.string(), z.array(z.string())]),
      interval: z.string().optional(),
      timeout: z.string().optional(),
      retries: z.number().optional(),
      startInterval: z.string().optional(),
      startPeriod: z.string().optional(),
    })
    .optional(),
  dependsOn: z
    .union([
      z.array(z.string()),
      z.record(
        z.string(),
        z.object({
          condition: z.enum(['service_healthy', 'service_started', 'service_completed_successfully']),
        }),
      ),
    ])
    .optional(),
  capAdd: z.array(z.string()).optional(),
  capDrop: z.array(z.string()).optional(),
  deploy: z.record(z.string(), z.unknown()).optional(),
  hostname: z.string().optional(),
  devices: z.array(z.string()).optional(),
  pid: z.string().optional(),
  privileged: z.boolean().optional(),
  tty: z.boolean().optional(),
  user: z.string().optional(),
  workingDir: z.string().optional(),
  shmSize: z.string().optional(),
  logging: z.object({ driver: z.string(), options: z.record(z.string(), z.string()).optional() }).optional(),
  readOnly: z.boolean().optional(),
  securityOpt: z.array(z.string()).optional(),
  stopSignal: z.string().optional(),
  stopGracePeriod: z.string().optional(),
  stdinOpen: z.boolean().optional(),
  extraLabels: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
});
export type DynamicService = z.infer<typeof dynamicServiceSchema>;

export const dynamicComposeSchema = z.object({
  services: z.array(dynamicServiceSchema).min(1, 'must list at least one service'),
  schemaVersion: z.number().optional(),
});
export type DynamicCompose = z.infer<typeof dynamicComposeSchema>;
