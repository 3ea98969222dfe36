import type { DockerService } from './api.js';
import { detectCompose } from './compose.js';
import type { Engine } from './engine.js';
import { reviewCompose } from './safety.js';
import type { Stacks } from './stacks.js';
import { computeStats, type EngineStats } from './stats.js';

/**
 * The service other plugins get with `ctx.use('docker')` (the app store, the monitor).
 * Methods resolve with plain data; the ones that change a stack resolve when its run ends.
 * Errors carry `code`, `status` and `details` (e.g. 422 `DOCKER_RISKS_NOT_ACCEPTED` with
 * `details.findings`).
 */
export function createDockerService(engine: Engine, stacks: Stacks): DockerService {
  return {
    async status() {
      const s = engine.status();
      const compose = await detectCompose();
      return {
        available: s.available,
        ...(s.error ? { error: s.error } : {}),
        ...(s.engineVersion ? { engineVersion: s.engineVersion } : {}),
        compose: compose?.kind ?? null,
      };
    },
    async reviewCompose(compose) {
      return reviewCompose(compose);
    },
    async deployStack(input) {
      const { done } = await stacks.deploy({ ...input, owner: input.owner ?? 'docker' });
      return done;
    },
    async stackAction(name, action) {
      return (await stacks.action(name, action)).done;
    },
    async removeStack(name, options) {
      return (await stacks.remove(name, options ?? {})).done;
    },
    async getStack(name) {
      return stacks.get(name);
    },
    async listStacks() {
      return stacks.list();
    },
    async stackLogs(name, options) {
      return stacks.logs(name, options ?? {});
    },
    async containerStats() {
      const docker = engine.require();
      const running = await docker.listContainers({ all: false });
      const out: { id: string; name: string; cpu: number; memBytes: number }[] = [];
      // A few at a time: each one-shot sample takes the engine about a second.
      for (let i = 0; i < running.length; i += 8) {
        const batch = running.slice(i, i + 8);
        const samples = await Promise.all(
          batch.map((c) =>
            docker
              .getContainer(c.Id)
              .stats({ stream: false })
              .then((s) => computeStats(s as unknown as EngineStats))
              .catch(() => null),
          ),
        );
        batch.forEach((c, j) => {
          const s = samples[j];
          if (s)
            out.push({
              id: c.Id,
              name: c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12),
              cpu: s.cpu,
              memBytes: s.memBytes,
            });
        });
      }
      return out;
    },
  };
}
