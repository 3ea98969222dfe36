import type { NotifyMessage } from '@webcasa/plugin-sdk';

// Events the core emits, typed for every package by module augmentation.
declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    'plugin.enabled': { id: string };
    'plugin.disabled': { id: string };
    'plugin.failed': { id: string; code: string; message: string };
    'panel.notification': NotifyMessage & { plugin: string; id?: number };
    'panel.started': { url: string };
  }
}
