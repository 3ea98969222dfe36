import net from 'node:net';
import tls from 'node:tls';

export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** Time limit of the whole exchange. Default 15 s. */
  timeoutMs?: number;
  /** Accept self-signed certificates (tests only). */
  rejectUnauthorized?: boolean;
}

export interface MailMessage {
  subject: string;
  text: string;
}

/** Thrown when the SMTP server refuses a step; `code` is the server's reply code. */
export class SmtpError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = 'SmtpError';
    this.code = code;
  }
}

/** Encodes a header value as RFC 2047 UTF-8 base64 when it is not plain ASCII. */
const encodeHeader = (value: string) =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/**
 * Sends one plain-text mail with a minimal SMTP client (EHLO, STARTTLS when offered,
 * AUTH PLAIN when a user is given, MAIL/RCPT/DATA, QUIT). Enough for alert mails; no
 * attachments, no pooling.
 *
 * @example
 * await sendMail({ host: 'smtp.example.com', port: 587, user, password, from: 'panel@example.com',
 *   to: ['ops@example.com'] }, { subject: 'CPU high', text: 'cpu.total is 97' });
 */
export async function sendMail(options: SmtpOptions, message: MailMessage): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  let socket: net.Socket = options.secure
    ? tls.connect({
        host: options.host,
        port: options.port,
        servername: options.host,
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      })
    : net.connect({ host: options.host, port: options.port });
  socket.setEncoding('utf8');

  let buffer = '';
  let waiter: ((line: { code: number; text: string }) => void) | null = null;
  let failure: Error | null = null;
  const replies: { code: number; text: string }[] = [];
  let pending: string[] = [];

  const onData = (chunk: string) => {
    buffer += chunk;
    let i = buffer.indexOf('\n');
    while (i !== -1) {
      const line = buffer.slice(0, i).replace(/\r$/, '');
      buffer = buffer.slice(i + 1);
      pending.push(line.slice(4));
      // "250-…" continues a reply, "250 …" ends it.
      if (line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)), text: pending.join('\n') };
        pending = [];
        if (waiter) {
          const w = waiter;
          waiter = null;
          w(reply);
        } else replies.push(reply);
      }
      i = buffer.indexOf('\n');
    }
  };
  const attach = (s: net.Socket) => {
    s.on('data', onData);
    s.on('error', (e) => {
      failure = e;
      waiter?.({ code: 0, text: e.message });
    });
    s.on('close', () => {
      failure ??= new Error('SMTP connection closed');
      waiter?.({ code: 0, text: 'connection closed' });
    });
  };
  attach(socket);

  const timer = setTimeout(() => {
    failure = new Error(`SMTP ${options.host}:${options.port} did not answer within ${timeoutMs} ms`);
    socket.destroy();
  }, timeoutMs);

  const read = () =>
    new Promise<{ code: number; text: string }>((resolve) => {
      const queued = replies.shift();
      if (queued) resolve(queued);
      else if (failure) resolve({ code: 0, text: failure.message });
      else waiter = resolve;
    });
  const expect = async (step: string, ok: (code: number) => boolean) => {
    const reply = await read();
    if (reply.code === 0) throw failure ?? new Error(`SMTP ${step}: ${reply.text}`);
    if (!ok(reply.code)) throw new SmtpError(`SMTP ${step} refused: ${reply.code} ${reply.text}`, reply.code);
    return reply;
  };
  const command = async (
    line: string,
    step: string,
    ok: (code: number) => boolean = (c) => c >= 200 && c < 300,
  ) => {
    socket.write(`${line}\r\n`);
    return expect(step, ok);
  };

  try {
    await expect('greeting', (c) => c === 220);
    let ehlo = await command('EHLO webcasa.local', 'EHLO');
    if (!options.secure && /^STARTTLS$/im.test(ehlo.text)) {
      await command('STARTTLS', 'STARTTLS', (c) => c === 220);
      socket.removeAllListeners('data');
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      socket = tls.connect({
        socket,
        servername: options.host,
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      });
      socket.setEncoding('utf8');
      attach(socket);
      ehlo = await command('EHLO webcasa.local', 'EHLO');
    }
    if (options.user) {
      const token = Buffer.from(`\0${options.user}\0${options.password ?? ''}`, 'utf8').toString('base64');
      await command(`AUTH PLAIN ${token}`, 'AUTH', (c) => c === 235);
    }
    await command(`MAIL FROM:<${options.from}>`, 'MAIL FROM');
    for (const to of options.to) await command(`RCPT TO:<${to}>`, `RCPT TO ${to}`);
    await command('DATA', 'DATA', (c) => c === 354);
    const body = message.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const headers = [
      `From: <${options.from}>`,
      `To: ${options.to.map((t) => `<${t}>`).join(', ')}`,
      `Subject: ${encodeHeader(message.subject)}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}\r\n.\r\n`);
    await expect('message', (c) => c === 250);
    socket.write('QUIT\r\n');
  } finally {
    clearTimeout(timer);
    socket.end();
  }
}
