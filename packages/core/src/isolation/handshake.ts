import { WebcasaError } from '../errors.js';

/**
 * The handshake between the panel and a plugin process, after HashiCorp
 * go-plugin: the panel starts the child with a magic cookie and the protocol
 * versions it speaks in the environment. The child refuses to run without the
 * cookie (someone started it by hand), picks the highest version both speak,
 * and announces it in its first frame; the panel checks the answer.
 *
 * The cookie is not a secret and not a security measure: it only tells a
 * process it was started by the panel, so that running it by hand prints a
 * clear message instead of hanging on a channel that is not there.
 */
export const MAGIC_COOKIE_KEY = 'WEBCASA_PLUGIN_MAGIC';
export const MAGIC_COOKIE_VALUE = '7b1e4c9a2f3d48e6a5c0d9f1e2b3a4c5-webcasa-plugin';
/** Protocol versions the panel offers, comma separated, highest preferred. */
export const PROTOCOL_VERSIONS_KEY = 'WEBCASA_PLUGIN_PROTOCOLS';
/** The file descriptor of the RPC channel in the child (a socket pair made by the panel). */
export const CHANNEL_FD = 3;

/** The RPC protocol version this code speaks. Bump on incompatible changes to the messages. */
export const PROTOCOL_VERSION = 1;
/** Every version this build can speak, for negotiation. */
export const SUPPORTED_PROTOCOLS: readonly number[] = [PROTOCOL_VERSION];

/** Exit codes of the child, so the panel can explain an early exit. */
export const EXIT_CODES = {
  /** Started without the magic cookie (by hand). */
  NO_COOKIE: 2,
  /** No protocol version in common with the panel. */
  PROTOCOL_MISMATCH: 3,
  /** The RPC channel is missing or broke. */
  CHANNEL: 4,
} as const;

export const NOT_BY_HAND_MESSAGE =
  'This is a Web.Casa plugin process. It is not meant to be started by hand: the panel starts it\n' +
  'for plugins whose isolation is "process" and talks to it over a private channel.\n' +
  'To run a plugin, enable it in the panel (webcasa start), or switch its isolation with\n' +
  'POST /api/admin/plugins/<id>/isolation.\n';

/** The first message a child sends: which version it chose, and who it is. */
export interface Hello {
  cookie: string;
  protocol: number;
  pid: number;
  node: string;
}

/** The panel and a plugin process do not speak a common protocol version. */
export class ProtocolMismatchError extends WebcasaError {
  constructor(
    readonly pluginId: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super('WEBCASA_PLUGIN_PROTOCOL_MISMATCH', message, 500, { pluginId, ...details });
    this.name = 'ProtocolMismatchError';
  }
}

/** Parse `1,2,3`; nonsense entries are ignored. */
export function parseVersions(text: string | undefined): number[] {
  return (text ?? '')
    .split(',')
    .map((v) => Number.parseInt(v.trim(), 10))
    .filter((v) => Number.isInteger(v) && v > 0);
}

/** The highest version both sides speak, or undefined. */
export function negotiate(offered: readonly number[], supported: readonly number[] = SUPPORTED_PROTOCOLS) {
  let best: number | undefined;
  for (const v of offered) if (supported.includes(v) && (best === undefined || v > best)) best = v;
  return best;
}

/** The environment the panel gives a child. */
export function handshakeEnv(offered: readonly number[] = SUPPORTED_PROTOCOLS): Record<string, string> {
  return { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, [PROTOCOL_VERSIONS_KEY]: offered.join(',') };
}

/** Check a child's hello against what was offered; throws {@link ProtocolMismatchError}. */
export function verifyHello(pluginId: string, hello: unknown, offered: readonly number[]): Hello {
  const h = hello as Partial<Hello> | null;
  if (!h || h.cookie !== MAGIC_COOKIE_VALUE || typeof h.protocol !== 'number') {
    throw new ProtocolMismatchError(
      pluginId,
      `plugin ${pluginId}: its process did not answer the handshake (is the entry a Web.Casa plugin process?)`,
    );
  }
  if (!offered.includes(h.protocol)) {
    throw new ProtocolMismatchError(
      pluginId,
      `plugin ${pluginId}: its process chose protocol version ${h.protocol}, but the panel offered ${offered.join(', ')}`,
    );
  }
  return h as Hello;
}
