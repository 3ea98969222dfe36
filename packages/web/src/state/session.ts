import type { SessionAnswer } from '@webcasa/ui';
import { type Accessor, createContext, useContext } from 'solid-js';

/** Sign-in state the shell's own pages use (plugins read the user with `useShell().me`). */
export interface Session {
  booted: Accessor<boolean>;
  setupNeeded: Accessor<boolean>;
  signedIn(answer: SessionAnswer): void;
  signOut(): Promise<void>;
  refreshMe(): Promise<void>;
}

export const SessionContext = createContext<Session>();

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession: outside the shell');
  return session;
}
