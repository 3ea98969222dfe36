import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { dynamicToCompose } from '../compose/dynamic.js';
import type { ComposeDoc, ComposeOptions } from '../compose/types.js';
import { isRecord, yamlMain, yamlToCompose } from '../compose/yaml.js';
import { type AppConfig, appConfigSchema, type DynamicCompose, dynamicComposeSchema } from './schema.js';

/** One app of a store, parsed and checked. */
export interface StoreApp {
  id: string;
  /** The app's folder. */
  dir: string;
  config: AppConfig;
  compose: { kind: 'dynamic'; source: DynamicCompose } | { kind: 'yaml'; source: unknown };
  /** The service users reach, and its port inside the container (null: no web UI). */
  main: { service: string; internalPort: number | string } | null;
  /** Markdown from `metadata/description.md` (or `config.description`). */
  description: string;
  /** Path of `metadata/logo.jpg`, when there is one. */
  logo: string | null;
}

/** Why an app of a store cannot be offered. */
export interface AppProblem {
  /** The app's id (its folder name when config.json has no usable id). */
  app: string;
  file: string;
  /** Dotted field in that file, e.g. `port` or `form_fields.0.type`. */
  field: string;
  message: string;
}

/** Turn the app's compose source into a compose document. */
export function buildCompose(app: Pick<StoreApp, 'compose'>, options: ComposeOptions): ComposeDoc {
  if (app.compose.kind === 'dynamic') return dynamicToCompose(app.compose.source, options);
  return yamlToCompose(app.compose.source, options).doc;
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function zodProblems(app: string, file: string, error: z.ZodError): AppProblem[] {
  return error.issues.map((i) => ({ app, file, field: i.path.join('.') || '(root)', message: i.message }));
}

/** Read `apps/<dirName>`: config.json, the compose file (JSON preferred, else YAML) and metadata. */
export async function readApp(
  appsDir: string,
  dirName: string,
): Promise<{ app?: StoreApp; problems: AppProblem[] }> {
  const dir = join(appsDir, dirName);
  const problems: AppProblem[] = [];
  const configText = await readIfExists(join(dir, 'config.json'));
  if (configText === null) {
    return { problems: [{ app: dirName, file: 'config.json', field: '(file)', message: 'is missing' }] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(configText);
  } catch (error) {
    return {
      problems: [
        {
          app: dirName,
          file: 'config.json',
          field: '(file)',
          message: `invalid JSON: ${(error as Error).message}`,
        },
      ],
    };
  }
  const name = isRecord(raw) && typeof raw.id === 'string' && raw.id ? raw.id : dirName;
  const parsed = appConfigSchema.safeParse(raw);
  if (!parsed.success) problems.push(...zodProblems(name, 'config.json', parsed.error));
  else if (parsed.data.id !== dirName) {
    problems.push({
      app: name,
      file: 'config.json',
      field: 'id',
      message: `must equal the folder name "${dirName}"`,
    });
  }

  let compose: StoreApp['compose'] | undefined;
  let main: StoreApp['main'] = null;
  const jsonText = await readIfExists(join(dir, 'docker-compose.json'));
  const yamlText = jsonText === null ? await readIfExists(join(dir, 'docker-compose.yml')) : null;
  if (jsonText !== null) {
    try {
      const result = dynamicComposeSchema.safeParse(JSON.parse(jsonText));
      if (!result.success) problems.push(...zodProblems(name, 'docker-compose.json', result.error));
      else {
        compose = { kind: 'dynamic', source: result.data };
        const names = result.data.services.map((s) => s.name);
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup)
          problems.push({
            app: name,
            file: 'docker-compose.json',
            field: 'services',
            message: `service "${dup}" is listed twice`,
          });
        const m = result.data.services.find((s) => s.isMain);
        if (m?.internalPort !== undefined) main = { service: m.name, internalPort: m.internalPort };
      }
    } catch (error) {
      problems.push({
        app: name,
        file: 'docker-compose.json',
        field: '(file)',
        message: `invalid JSON: ${(error as Error).message}`,
      });
    }
  } else if (yamlText !== null) {
    try {
      const source: unknown = parseYaml(yamlText);
      const { issues } = yamlToCompose(source, { publish: 'all' });
      for (const issue of issues)
        problems.push({ app: name, file: 'docker-compose.yml', field: issue.path, message: issue.message });
      if (!issues.length) {
        compose = { kind: 'yaml', source };
        main = yamlMain(source);
      }
    } catch (error) {
      problems.push({
        app: name,
        file: 'docker-compose.yml',
        field: '(file)',
        message: `invalid YAML: ${(error as Error).message}`,
      });
    }
  } else {
    problems.push({
      app: name,
      file: 'docker-compose.json',
      field: '(file)',
      message: 'no docker-compose.json or docker-compose.yml',
    });
  }

  if (problems.length || !parsed.success || !compose) return { problems };
  const description =
    (await readIfExists(join(dir, 'metadata', 'description.md'))) ?? parsed.data.description;
  const logoPath = join(dir, 'metadata', 'logo.jpg');
  const logo = await stat(logoPath).then(
    (s) => (s.isFile() ? logoPath : null),
    () => null,
  );
  return {
    app: { id: parsed.data.id, dir, config: parsed.data, compose, main, description, logo },
    problems,
  };
}

/** The folder holding the app folders: `<root>/apps` when it exists (a store repository), else the root. */
export async function appsDirOf(root: string): Promise<string> {
  const candidate = join(root, 'apps');
  const s = await stat(candidate).catch(() => null);
  return s?.isDirectory() ? candidate : root;
}

/** Every app of a store; apps that fail to parse are reported, never thrown. */
export async function readStore(root: string): Promise<{ apps: StoreApp[]; problems: AppProblem[] }> {
  const appsDir = await appsDirOf(root);
  const entries = await readdir(appsDir, { withFileTypes: true });
  const apps: StoreApp[] = [];
  const problems: AppProblem[] = [];
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('__'))
    .map((e) => e.name)
    .sort();
  for (const name of dirs) {
    const result = await readApp(appsDir, name);
    if (result.app) apps.push(result.app);
    problems.push(...result.problems);
  }
  return { apps, problems };
}
