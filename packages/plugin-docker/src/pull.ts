import type { PluginRuns } from '@webcasa/plugin-sdk';
import type { Engine } from './engine.js';
import { engineMessage } from './errors.js';

/**
 * Image pulls as plugin runs: the engine's per-layer progress becomes the run's progress
 * (bytes downloaded of all layers seen so far) and its log; an engine error fails the run
 * with the engine's own message.
 */

interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

export class Pulls {
  constructor(
    private readonly engine: Engine,
    private readonly runs: PluginRuns,
  ) {}

  async start(image: string, createdBy?: string): Promise<{ runId: string }> {
    const docker = this.engine.require();
    const { id } = await this.runs.start(
      `Pull ${image}`,
      async (run) => {
        run.log(`pulling ${image}`);
        const layers = new Map<string, { current: number; total: number }>();
        let lastStatus = new Map<string, string>();
        await new Promise<void>((resolve, reject) => {
          docker.pull(image, {}, (err: unknown, stream: NodeJS.ReadableStream | undefined) => {
            if (err || !stream) return reject(new Error(engineMessage(err ?? 'no answer from the engine')));
            run.signal.addEventListener(
              'abort',
              () => (stream as unknown as { destroy?(): void }).destroy?.(),
              { once: true },
            );
            docker.modem.followProgress(
              stream,
              (e: unknown, events: PullEvent[]) => {
                const failed = events?.find((x) => x.error || x.errorDetail);
                if (e) return reject(new Error(engineMessage(e)));
                if (failed)
                  return reject(new Error(failed.errorDetail?.message ?? failed.error ?? 'pull failed'));
                resolve();
              },
              (ev: PullEvent) => {
                if (ev.error) return;
                const layer = ev.id ?? '';
                if (layer && ev.progressDetail?.total) {
                  layers.set(layer, {
                    current: ev.progressDetail.current ?? 0,
                    total: ev.progressDetail.total,
                  });
                  let cur = 0;
                  let tot = 0;
                  for (const l of layers.values()) {
                    cur += l.current;
                    tot += l.total;
                  }
                  run.progress(tot ? Math.min(0.99, cur / tot) : 0, `${layer}: ${ev.status ?? ''}`);
                }
                // Log status changes only, not every byte count.
                const status = ev.status ?? '';
                if (lastStatus.get(layer) !== status) {
                  lastStatus.set(layer, status);
                  run.log(layer ? `${layer}: ${status}` : status);
                }
              },
            );
          });
        });
        lastStatus = new Map();
        run.log(`pulled ${image}`);
      },
      createdBy ? { createdBy } : undefined,
    );
    return { runId: id };
  }
}
