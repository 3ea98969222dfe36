// A child panel process (fixtures/installer-panel.ts) for the kill -9 tests: run one
// installer operation, watch its output lines, and SIGKILL it when asked.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ChildResult {
  lines: string[];
  killed: boolean;
}

/**
 * Run the child panel on `dataDir` with one operation. `killWhen` sees every output line;
 * when it returns true the child gets SIGKILL (no shutdown hooks, no flush). Bounded by 45 s.
 */
export function runChildPanel(
  dataDir: string,
  registryUrl: string,
  args: string[],
  options: { killWhen?: (line: string) => boolean; env?: Record<string, string> } = {},
): Promise<ChildResult> {
  const killWhen = options.killWhen ?? (() => false);
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures/installer-panel.ts'),
        dataDir,
        registryUrl,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
    );
    const lines: string[] = [];
    let stderr = '';
    let killed = false;
    const guard = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`child panel did not finish: ${lines.join('\n')}\n${stderr}`));
    }, 45_000);
    proc.stderr.on('data', (d) => (stderr += d));
    let buffer = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (!killed && killWhen(line)) {
          killed = true;
          proc.kill('SIGKILL');
        }
        nl = buffer.indexOf('\n');
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(guard);
      if (!killed && code !== 0) reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve({ lines, killed });
    });
  });
}
