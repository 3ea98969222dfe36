/** Reading container log streams: the engine multiplexes stdout and stderr unless the container has a TTY. */

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Splits a multiplexed log buffer (8-byte frame headers) into lines. */
export function demuxBuffer(buf: Buffer, tty: boolean): LogLine[] {
  if (tty) return toLines('stdout', buf.toString('utf8'));
  const out: LogLine[] = [];
  const parts: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const size = buf.readUInt32BE(i + 4);
    const chunk = buf.subarray(i + 8, i + 8 + size).toString('utf8');
    const stream = type === 2 ? 'stderr' : 'stdout';
    // Frames follow writes, not lines: flush lines as they complete, in order.
    parts[stream] += chunk;
    const lines = parts[stream].split('\n');
    parts[stream] = lines.pop() ?? '';
    for (const text of lines) out.push({ stream, text: text.replace(/\r$/, '') });
    i += 8 + size;
  }
  for (const stream of ['stdout', 'stderr'] as const)
    if (parts[stream]) out.push({ stream, text: parts[stream] });
  return out;
}

function toLines(stream: 'stdout' | 'stderr', text: string): LogLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((t) => ({ stream, text: t.replace(/\r$/, '') }));
}

/** A line splitter for live streams: call `push` with chunks, get whole lines back. */
export function lineSplitter(onLine: (text: string) => void): {
  push(chunk: Buffer | string): void;
  flush(): void;
} {
  let rest = '';
  return {
    push(chunk) {
      rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) onLine(l.replace(/\r$/, ''));
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
