// Who is signed in. The token lives in memory only (never in a URL or in storage):
// a reload signs the person out, and the draft hook below keeps what they typed.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { User, UserManager } from "oidc-client-ts";

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

/** How this gateway signs people in (`GET /auth/config`). */
export type AuthConfig =
  | { mode: "dev" }
  | { mode: "oidc"; authority: string; client_id: string; scope: string; resource: string };

/** OpenID Connect, authorization code flow with PKCE (oidc-client-ts). Tokens stay in
 * memory (InMemoryWebStorage); they are renewed silently with the refresh token. */
async function userManagerFor(config: Extract<AuthConfig, { mode: "oidc" }>): Promise<UserManager> {
  // Loaded only where OpenID Connect is in use: the embedded mode's first page stays small.
  const { InMemoryWebStorage, UserManager, WebStorageStateStore } = await import("oidc-client-ts");
  const origin = window.location.origin;
  return new UserManager({
    authority: config.authority,
    client_id: config.client_id,
    redirect_uri: `${origin}/auth/callback`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: "code",
    scope: config.scope,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    automaticSilentRenew: true,
    loadUserInfo: false,
    // Resource indicators: an access token for the gateway (its JWT audience).
    extraQueryParams: { resource: config.resource },
    extraTokenParams: { resource: config.resource },
  });
}

interface SessionState {
  session: Session | null;
  config: AuthConfig | null;
  /** OpenID Connect: leave for the issuer's sign-in, coming back to `from`. */
  signInWithIssuer(from?: string): Promise<void>;
  /** OpenID Connect: finish on /auth/callback; answers where the person was going. */
  completeSignIn(): Promise<string | undefined>;
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

interface ProviderProps {
  children: ReactNode;
  initial?: Session | null;
  /** Given in tests; otherwise asked of the gateway. */
  authConfig?: AuthConfig;
}

// The signed-in token for what is not GraphQL (CSV downloads: exports.ts); in memory only.
let currentToken: string | null = null;
export function sessionToken(): string | null {
  return currentToken;
}

export function SessionProvider({ children, initial = null, authConfig }: ProviderProps) {
  const [session, setSession] = useState<Session | null>(initial);
  currentToken = session?.token ?? null;
  const [ended, setEnded] = useState<"expired" | null>(null);
  const [config, setConfig] = useState<AuthConfig | null>(authConfig ?? null);

  const [manager, setManager] = useState<UserManager | null>(null);

  // The config is set only once everything it needs is loaded (for OpenID Connect, the
  // UserManager), so whoever sees a config can sign in with it.
  useEffect(() => {
    if (authConfig) return;
    fetch("/auth/config")
      .then((response) => response.json() as Promise<AuthConfig>)
      .then(async (loaded) => {
        if (loaded.mode === "oidc") setManager(await userManagerFor(loaded));
        setConfig(loaded);
      })
      .catch(() => setConfig({ mode: "dev" }));
  }, [authConfig]);

  const signIn = useCallback(async (request: DevSignIn) => {
    const token = await requestDevToken(request);
    setSession(sessionOf(token));
    setEnded(null);
  }, []);
  const signOut = useCallback(() => {
    void manager?.removeUser();
    setSession(null);
    setEnded(null);
  }, [manager]);
  const expire = useCallback(() => {
    void manager?.removeUser();
    setSession(null);
    setEnded("expired");
  }, [manager]);

  const signInWithIssuer = useCallback(
    async (from?: string) => {
      if (!manager) throw new SignInError("UNAUTHENTICATED");
      await manager.signinRedirect({ state: { from } });
    },
    [manager],
  );
  const completeSignIn = useCallback(async () => {
    if (!manager) return undefined;
    const user = await manager.signinRedirectCallback();
    setSession(sessionOf(user.access_token));
    setEnded(null);
    return (user.state as { from?: string } | undefined)?.from;
  }, [manager]);

  // A silently renewed token replaces the session's (and so restarts its expiry timer).
  useEffect(() => {
    if (!manager) return;
    const renewed = (user: User) => setSession(sessionOf(user.access_token));
    manager.events.addUserLoaded(renewed);
    return () => manager.events.removeUserLoaded(renewed);
  }, [manager]);

  // End the session the moment its token expires, not at the next failed call.
  useEffect(() => {
    if (!session) return;
    const remaining = session.endsAt - Date.now();
    const timer = window.setTimeout(expire, Math.max(0, remaining));
    return () => window.clearTimeout(timer);
  }, [session, expire]);

  const value = useMemo(
    () => ({ session, config, ended, signIn, signOut, expire, signInWithIssuer, completeSignIn }),
    [session, config, ended, signIn, signOut, expire, signInWithIssuer, completeSignIn],
  );
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
