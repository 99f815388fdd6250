import { clearedSessionCookie, csrfMatches, parseCookies, SESSION_COOKIE, sessionCookie, SessionStore } from './sessions';

describe('SessionStore', () => {
  it('gives each sign-in an opaque random id and CSRF token, never the team token', () => {
    const store = new SessionStore();
    const a = store.create('fw_secret_token');
    const b = store.create('fw_secret_token');
    expect(a.id).not.toBe(b.id);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toContain('fw_secret_token');
    expect(store.get(a.id)?.token).toBe('fw_secret_token');
    expect(store.get('not-a-session')).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
  });

  it('forgets a session left idle too long, and keeps one in use', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 1000, now: () => now });
    const used = store.create('a');
    const idle = store.create('b');
    now = 900;
    expect(store.get(used.id)).toBeDefined();
    now = 1500;
    expect(store.get(used.id)).toBeDefined();
    expect(store.get(idle.id)).toBeUndefined();
    expect(store.hasToken('b')).toBe(false);
  });

  it('deletes a session on sign-out', () => {
    const store = new SessionStore();
    const session = store.create('t');
    store.delete(session.id);
    expect(store.get(session.id)).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe('CSRF', () => {
  it('accepts only the session’s own token', () => {
    const store = new SessionStore();
    const session = store.create('t');
    const other = store.create('t');
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, other.csrfToken)).toBe(false);
    expect(csrfMatches(session, '')).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, session.csrfToken.slice(1))).toBe(false);
  });
});

describe('cookies', () => {
  it('sets the session id HttpOnly, SameSite=Strict on the whole site, Secure when asked', () => {
    expect(sessionCookie('abc')).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Strict`);
    expect(sessionCookie('abc', { secure: true })).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Strict; Secure`);
    expect(clearedSessionCookie()).toMatch(/^flywheel_console=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
  });

  it('parses a Cookie header, keeping the first of a repeated name', () => {
    expect(parseCookies(`a=1; ${SESSION_COOKIE}=x%20y; ${SESSION_COOKIE}=second; junk; =v; bad=%E0%A4%A`)).toEqual({
      a: '1',
      [SESSION_COOKIE]: 'x y',
      bad: '%E0%A4%A',
    });
    expect(parseCookies(undefined)).toEqual({});
  });
});
