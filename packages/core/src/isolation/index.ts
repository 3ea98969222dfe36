/**
 * Process isolation for plugins: a plugin whose isolation is `process` runs
 * its server entry in a child Node process, with the same context served over
 * RPC. See docs/plugins/isolation.md and docs/adr/0030-plugin-isolation.md.
 */
export { type CgroupHandle, placeInMemoryCgroup } from './cgroup.js';
export { FrameDecoder, FrameError, MAX_FRAME_BYTES } from './frame.js';
export {
  EXIT_CODES,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  PROTOCOL_VERSION,
  ProtocolMismatchError,
  SUPPORTED_PROTOCOLS,
} from './handshake.js';
export {
  type CrashInfo,
  crashedResponse,
  DEFAULT_ISOLATION_LIMITS,
  type IsolatedInfo,
  IsolatedPlugin,
  type IsolatedPluginOptions,
  type IsolationLimits,
  type IsolationState,
  isolationLimitsFromEnv,
  type UninstallOutcome,
} from './isolated-plugin.js';
export {
  CORE_PERMISSIONS,
  corePermission,
  coreShape,
  PermissionDeniedError,
  resolveCoreCall,
} from './permissions.js';
export { PeerClosedError, RpcPeer, RpcTimeoutError } from './rpc.js';
