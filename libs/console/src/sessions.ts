import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'flywheel_console';

/** A signed-in browser: the team token stays here, in memory; the browser holds only the id. */
export interface Session {
  readonly id: string;
  readonly token: string;
  /** Sent back by every form of this session, checked on every POST. */
  readonly csrfToken: string;
  lastSeen: number;
}

export interface SessionStoreOptions {
  /** A session unused this long is forgotten (default 8 hours). */
  idleMs?: number;
  now?: () => number;
}

/**
 * Sessions by opaque random id. The cookie carries the id, never the token, so a leaked cookie
 * dies with the console process or the idle timeout and the token is never written to the browser.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? 8 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  create(token: string): Session {
    this.sweep();
    const session: Session = { id: randomId(), token, csrfToken: randomId(), lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle clock restarted; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Whether any live session signed in with this token. */
  hasToken(token: string): boolean {
    for (const session of this.sessions.values()) if (session.token === token) return true;
    return false;
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (now - session.lastSeen > this.idleMs) this.sessions.delete(id);
  }
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a form's CSRF field matches its session's, compared in constant time. */
export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  if (typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The cookies of a request's `Cookie` header, by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in cookies) continue;
    const value = part.slice(eq + 1).trim();
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

export interface CookieOptions {
  /** Adds `Secure`, for a console served over HTTPS (behind a TLS proxy). */
  secure?: boolean;
}

/** The `Set-Cookie` value that hands a browser its session id: script cannot read it, other sites cannot send it. */
export function sessionCookie(id: string, options: CookieOptions = {}): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(options: CookieOptions = {}): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${options.secure ? '; Secure' : ''}`;
}
