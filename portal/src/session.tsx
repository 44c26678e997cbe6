// Who is signed in. The token lives in memory only (never in a URL or in storage):
// a reload signs the person out, and the draft hook below keeps what they typed.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

export type Role = "client" | "desk_officer" | "provider" | "partner" | "hq_analyst" | "admin";
export const ROLES: Role[] = ["client", "desk_officer", "provider", "partner", "hq_analyst", "admin"];

export interface Claims {
  sub: string;
  role: Role;
  exp: number;
  iat?: number;
  client?: string;
  desk?: string;
  products?: string[];
  partner?: string;
}

export interface Session {
  token: string;
  claims: Claims;
  /** When this browser ends the session, by its own clock: the token's lifetime counted
   * from its receipt, so a field laptop with a wrong clock is not signed out at once. */
  endsAt: number;
}

export function sessionOf(token: string): Session {
  const claims = decodeClaims(token);
  const lifetime = claims.exp - (claims.iat ?? Math.floor(Date.now() / 1000));
  return { token, claims, endsAt: Date.now() + lifetime * 1000 };
}

export interface DevSignIn {
  role: Role;
  subject?: string;
  client?: string;
  desk?: string;
  products?: string[];
  partner?: string;
  ttl_s?: number;
}

interface SessionState {
  session: Session | null;
  /** Why the last session ended, when it was not the person's own sign-out. */
  ended: "expired" | null;
  signIn(request: DevSignIn): Promise<void>;
  signOut(): void;
  expire(): void;
}

const SessionContext = createContext<SessionState | null>(null);

export function decodeClaims(token: string): Claims {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as Claims;
}

export class SignInError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

async function requestDevToken(request: DevSignIn): Promise<string> {
  const response = await fetch("/auth/dev-token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const body = (await response.json()) as { token?: string; detail?: { code?: string } };
  if (!response.ok || !body.token) throw new SignInError(body.detail?.code ?? "UNAUTHENTICATED");
  return body.token;
}

export function SessionProvider({ children, initial = null }: { children: ReactNode; initial?: Session | null }) {
  const [session, setSession] = useState<Session | null>(initial);
  const [ended, setEnded] = useState<"expired" | null>(null);

  const signIn = useCallback(async (request: DevSignIn) => {
    const token = await requestDevToken(request);
    setSession(sessionOf(token));
    setEnded(null);
  }, []);
  const signOut = useCallback(() => {
    setSession(null);
    setEnded(null);
  }, []);
  const expire = useCallback(() => {
    setSession(null);
    setEnded("expired");
  }, []);

  // End the session the moment its token expires, not at the next failed call.
  useEffect(() => {
    if (!session) return;
    const remaining = session.endsAt - Date.now();
    const timer = window.setTimeout(expire, Math.max(0, remaining));
    return () => window.clearTimeout(timer);
  }, [session, expire]);

  const value = useMemo(() => ({ session, ended, signIn, signOut, expire }), [session, ended, signIn, signOut, expire]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSession outside SessionProvider");
  return state;
}

/** A form value kept in sessionStorage, so an expired session loses nothing typed. */
export function useDraft<T>(key: string, initial: T): [T, (value: T) => void, () => void] {
  const storageKey = `onedoor.draft.${key}`;
  const [value, setValue] = useState<T>(() => {
    const saved = sessionStorage.getItem(storageKey);
    return saved === null ? initial : (JSON.parse(saved) as T);
  });
  const update = useCallback(
    (next: T) => {
      setValue(next);
      sessionStorage.setItem(storageKey, JSON.stringify(next));
    },
    [storageKey],
  );
  const clear = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setValue(initial);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [storageKey]);
  return [value, update, clear];
}
