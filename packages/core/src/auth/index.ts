/**
 * Authentication and security: passwords, sessions, API tokens, two-factor,
 * first-run setup, login rate limiting, and the auth, CSRF and audit middleware.
 */

export {
  type AuditLogger,
  type AuditOptions,
  assertScope,
  auditMiddleware,
  authMiddleware,
  CSRF_EXEMPT_PATHS,
  type CsrfOptions,
  clientIp,
  csrfMiddleware,
} from './middleware.js';
export {
  assertPasswordRules,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './passwords.js';
export { type RateLimitOptions, type RateLimitResult, SlidingWindowLimiter } from './rate-limit.js';
export {
  type AuthService,
  type AuthServiceOptions,
  type Credential,
  createAuthService,
  type LoginInput,
  type LoginResult,
  type NewTokenInput,
  type NewUserInput,
  type TotpEnrollment,
  type UserPatch,
} from './service.js';
export { SESSION_COOKIE, SESSION_PREFIX } from './sessions.js';
export { SETUP_TOKEN_KEY } from './setup-token.js';
export { type CreatedToken, SCOPE_PATTERN, TOKEN_PREFIX, type TokenInfo } from './tokens.js';
export {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  type TotpOptions,
  totpCode,
  verifyTotp,
} from './totp.js';
export { USERNAME_PATTERN, type UserInfo } from './users.js';
