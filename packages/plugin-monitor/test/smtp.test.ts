import { describe, expect, it } from 'vitest';
import { SmtpError, sendMail } from '../src/smtp.js';
import { startSmtpServer } from './servers.js';

describe('sendMail', () => {
  it('delivers a message with dot-stuffing and UTF-8 subject', async () => {
    const smtp = await startSmtpServer();
    try {
      await sendMail(
        { host: '127.0.0.1', port: smtp.port, from: 'a@test.local', to: ['b@test.local'] },
        { subject: 'Température élevée', text: 'line one\n.leading dot\nend' },
      );
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0]?.auth).toBeNull();
      expect(smtp.messages[0]?.data).toContain(
        `Subject: =?UTF-8?B?${Buffer.from('Température élevée').toString('base64')}?=`,
      );
      expect(smtp.messages[0]?.data).toContain('line one\r\n.leading dot\r\nend');
    } finally {
      await smtp.close();
    }
  });

  it('throws SmtpError with the server code when a step is refused', async () => {
    const smtp = await startSmtpServer({ refuseRcpt: true });
    try {
      const error = await sendMail(
        { host: '127.0.0.1', port: smtp.port, from: 'a@test.local', to: ['nobody@test.local'] },
        { subject: 's', text: 't' },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SmtpError);
      expect((error as SmtpError).code).toBe(550);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });

  it('fails when nothing listens', async () => {
    const smtp = await startSmtpServer();
    const port = smtp.port;
    await smtp.close();
    await expect(
      sendMail(
        { host: '127.0.0.1', port, from: 'a@test.local', to: ['b@test.local'], timeoutMs: 2000 },
        { subject: 's', text: 't' },
      ),
    ).rejects.toThrow(/ECONNREFUSED|closed/);
  });
});
