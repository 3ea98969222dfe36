import { useApi } from '@webcasa/ui';
// The API's shapes, declared once by the server modules (type-only: nothing of them is bundled).
import type { AppSummary } from '../catalog.js';
import type { FieldRule } from '../forms/validate.js';

export type { SourceView } from '../sources/manager.js';
export type { AppSummary };

export const PLUGIN = 'app-store';
export const storeApi = () => useApi().plugin(PLUGIN);
export const logoUrl = (source: number, id: string) =>
  `/api/plugins/${PLUGIN}/apps/${source}/${encodeURIComponent(id)}/logo`;

/** A form field as the app page answers it: the rules the server checks, and the hints. */
export type FormFieldView = FieldRule & { placeholder?: string; hint?: string };

export interface AppDetail extends AppSummary {
  description: string;
  descriptionHtml: string;
  source_url: string;
  website: string | null;
  port: number | null;
  supported_architectures: string[] | null;
  form_fields: FormFieldView[];
  hasLogo: boolean;
  installed: { status: string; tipiVersion: number } | null;
}

export interface Finding {
  rule: string;
  severity: 'danger' | 'warning';
  service: string;
  path: string;
  message: string;
}

export interface InstalledApp {
  id: string;
  source: number;
  name: string;
  version: string;
  tipiVersion: number;
  status: string;
  state: string | null;
  domain: string | null;
  tls: string;
  port: number;
  publish: 'all' | 'loopback';
  url: string;
  /** The form's values without the secret ones. */
  values: Record<string, string>;
  /** Env names of secret fields that hold a value (never sent to the browser). */
  secrets: string[];
  installedAt: number;
  updatedAt: number;
  lastError: string | null;
  update: { version: string; tipiVersion: number } | null;
  backups: { name: string; size: number; at: number }[];
}

/** The download address of one of an installed app's backups. */
export const backupUrl = (id: string, name: string) =>
  `/api/plugins/${PLUGIN}/installed/${encodeURIComponent(id)}/backups/${encodeURIComponent(name)}`;

/** A size in bytes as B, KB, MB or GB (1024-based, one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}
