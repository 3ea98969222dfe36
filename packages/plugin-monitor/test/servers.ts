import { createServer, type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';

/** A webhook receiver on 127.0.0.1 that records JSON bodies and answers `status`. */
export async function startWebhookServer(status = 200) {
  const received: { path: string; body: any }[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data || 'null') });
      res.statusCode = status;
      res.end('ok');
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Waits (at most `ms`) until `n` requests have arrived. */
    async waitFor(n: number, ms = 5000) {
      const until = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > until)
          throw new Error(`webhook: ${received.length} of ${n} requests within ${ms} ms`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A tiny SMTP server on 127.0.0.1: greeting, EHLO (offers AUTH PLAIN), AUTH, MAIL, RCPT, DATA,
 * QUIT. Records each accepted message with its envelope. `refuseRcpt` answers 550 to RCPT TO.
 */
export async function startSmtpServer(options: { refuseRcpt?: boolean } = {}) {
  const messages: { from: string; to: string[]; auth: string | null; data: string }[] = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let current = { from: '', to: [] as string[], auth: null as string | null, data: '' };
    socket.write('220 test.local ESMTP ready\r\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { from: '', to: [], auth: current.auth, data: '' };
          socket.write('250 OK queued\r\n');
          continue;
        }
        const i = buffer.indexOf('\r\n');
        if (i === -1) return;
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') socket.write('250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
        else if (verb === 'AUTH') {
          current.auth = Buffer.from(line.split(' ')[2] ?? '', 'base64').toString('utf8');
          socket.write('235 2.7.0 Authentication successful\r\n');
        } else if (verb === 'MAIL') {
          current.from = /<(.*)>/.exec(line)?.[1] ?? '';
          socket.write('250 OK\r\n');
        } else if (verb === 'RCPT') {
          if (options.refuseRcpt) socket.write('550 5.1.1 No such user\r\n');
          else {
            current.to.push(/<(.*)>/.exec(line)?.[1] ?? '');
            socket.write('250 OK\r\n');
          }
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 Bye\r\n');
          return;
        } else socket.write('502 Command not implemented\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
