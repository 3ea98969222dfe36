import type { RequestUser } from '@webcasa/plugin-sdk';

/** Hono environment of the core app. */
export interface CoreEnv {
  Variables: {
    /** Set by the auth middleware when the request is authenticated. */
    user: RequestUser;
    requestId: string;
    /** Set when authenticated by session cookie (CSRF protection applies). */
    sessionId?: string;
    /** Set when authenticated by API token. */
    tokenId?: number;
  };
}
