import type Docker from 'dockerode';
import type { DockerContainerDiedEvent, DockerContainerEvent, DockerImagePulledEvent } from './api.js';

/**
 * The engine's event stream, turned into bus events:
 * container start/stop/die → `docker.container.started|stopped|died`, image pull → `docker.image.pulled`.
 */

export type DockerBusEvent =
  | { type: 'docker.container.started'; payload: DockerContainerEvent }
  | { type: 'docker.container.stopped'; payload: DockerContainerEvent }
  | { type: 'docker.container.died'; payload: DockerContainerDiedEvent }
  | { type: 'docker.image.pulled'; payload: DockerImagePulledEvent };

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Maps one engine event to a bus event, or null for the ones not forwarded. */
export function toBusEvent(e: EngineEvent): DockerBusEvent | null {
  const attrs = e.Actor?.Attributes ?? {};
  const time = e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
  if (e.Type === 'container') {
    const base: DockerContainerEvent = {
      id: e.Actor?.ID ?? e.id ?? '',
      name: attrs.name ?? '',
      image: attrs.image ?? '',
      stack: attrs['com.docker.compose.project'] ?? null,
      time,
    };
    if (e.Action === 'start') return { type: 'docker.container.started', payload: base };
    if (e.Action === 'stop') return { type: 'docker.container.stopped', payload: base };
    if (e.Action === 'die') {
      const code = Number(attrs.exitCode);
      return {
        type: 'docker.container.died',
        payload: { ...base, exitCode: Number.isFinite(code) ? code : null },
      };
    }
  }
  if (e.Type === 'image' && e.Action === 'pull') {
    return { type: 'docker.image.pulled', payload: { image: e.Actor?.ID ?? e.id ?? '', time } };
  }
  return null;
}

/**
 * Follows the engine's events until `stop()` or the stream ends (then `onEnd` is called, so
 * the caller can check whether the engine went away).
 */
export async function followEvents(
  docker: Docker,
  emit: (event: DockerBusEvent) => void,
  onEnd: (error?: unknown) => void,
): Promise<() => void> {
  const stream = (await docker.getEvents({
    filters: { type: ['container', 'image'] },
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let stopped = false;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const ev = toBusEvent(JSON.parse(line) as EngineEvent);
        if (ev) emit(ev);
      } catch {
        // a line that is not JSON: ignore it
      }
    }
  });
  const end = (error?: unknown) => {
    if (stopped) return;
    stopped = true;
    onEnd(error);
  };
  stream.on('end', () => end());
  stream.on('close', () => end());
  stream.on('error', (e) => end(e));
  return () => {
    stopped = true;
    stream.destroy();
  };
}
