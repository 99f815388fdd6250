import { status } from '@grpc/grpc-js';
import { type ConsoleBackend, type RegistryCalls } from '../backend';
import { type RunningConsole, startConsole } from '../server';

/** An error as the gRPC client raises it. */
export const grpcError = (code: number, details: string): Error => Object.assign(new Error(`${code} ${details}`), { code, details });

/**
 * A backend whose every service fails the test that calls it: a page spec replaces the services
 * its pages read, and a call to any other shows up as a failure naming the service.
 */
export function notCalled(): ConsoleBackend {
  const service = (name: string) => () => fakeCalls<Record<string, never>>(name, {}) as never;
  return {
    ingestion: service('ingestion'),
    featureStore: service('featureStore'),
    trainer: service('trainer'),
    registry: service('registry'),
    deployer: service('deployer'),
    monitor: service('monitor'),
    forget: () => undefined,
    close: () => undefined,
  };
}

/** A fake of a service's calls: those given, and any other fails the test that makes it. */
export function fakeCalls<T extends object>(service: string, calls: Partial<T>): T {
  return new Proxy(calls as T, {
    get: (target, method) =>
      (target as Record<string | symbol, unknown>)[method] ??
      (() => Promise.reject(new Error(`the test did not expect ${service}.${String(method)}`))),
  });
}

/** A registry that accepts the given tokens at sign-in (listModels) and answers nothing else. */
export function signInRegistry(tokens: readonly string[]): (token: string) => RegistryCalls {
  return (token) =>
    new Proxy({} as RegistryCalls, {
      get: (_, method) => async () => {
        if (!tokens.includes(token)) throw grpcError(status.UNAUTHENTICATED, 'unknown API token');
        if (method === 'listModels') return { models: [], page: undefined };
        throw new Error(`the test did not expect registry.${String(method)}`);
      },
    });
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, form: Record<string, string>): Promise<Response>;
}

/** A console on a free port over the given services (any other service fails the test). */
export class ConsoleTestKit {
  private constructor(readonly console: RunningConsole) {}

  static async start(services: Partial<ConsoleBackend>): Promise<ConsoleTestKit> {
    return new ConsoleTestKit(await startConsole({ port: 0, addresses: {}, backend: { ...notCalled(), ...services } }));
  }

  get url(): string {
    return this.console.url;
  }

  get(path: string, cookie?: string): Promise<Response> {
    return fetch(`${this.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Signs in with `token`, and reads the session's CSRF token from the sign-out form. */
  async signIn(token: string): Promise<SignedIn> {
    const res = await this.post('/login', { token });
    if (res.status !== 303) throw new Error(`sign-in with ${token} answered ${res.status}: ${await res.text()}`);
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const page = await (await this.get('/nowhere', cookie)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error('no CSRF token on the page after sign-in');
    return {
      cookie,
      csrf,
      get: (path) => this.get(path, cookie),
      post: (path, form) => this.post(path, { csrf, ...form }, { cookie }),
    };
  }

  close(): Promise<void> {
    return this.console.close();
  }
}
