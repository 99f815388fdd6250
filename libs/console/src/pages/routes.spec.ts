import { type ConsoleBackend } from '../backend';
import { ConsoleTestKit } from '../testing/console-test-kit';
import { CONSOLE_ACTIONS, CONSOLE_PAGES } from './routes';

/** An address each route answers: its captures filled with a name (or a version number). */
function sampleAddress(pattern: RegExp): string {
  const path = pattern.source
    .replace(/^\^|\$$/g, '')
    .replace(/\(\[1-9\][^)]*\)/g, '1')
    .replace(/\(\[\^\/\]\+\)/g, 'x')
    .replace(/\\\//g, '/');
  if (!pattern.test(path)) throw new Error(`no sample address for ${pattern.source} (tried ${path})`);
  return path;
}

describe('every page and form of the console', () => {
  let kit: ConsoleTestKit;
  const calls: string[] = [];
  // Any call of any service is recorded: without a session none may be made.
  const recording = (service: string) => () =>
    new Proxy(
      {},
      {
        get: (_, method) => () => {
          calls.push(`${service}.${String(method)}`);
          return Promise.reject(new Error('not for a visitor without a session'));
        },
      },
    ) as never;
  const backend: Partial<ConsoleBackend> = Object.fromEntries(
    ['ingestion', 'featureStore', 'trainer', 'registry', 'deployer', 'monitor'].map((service) => [service, recording(service)]),
  );

  beforeAll(async () => {
    kit = await ConsoleTestKit.start(backend);
  });
  afterAll(() => kit.close());

  it('has a sample address for each route', () => {
    expect(CONSOLE_PAGES.length).toBeGreaterThanOrEqual(15);
    for (const route of [...CONSOLE_PAGES, ...CONSOLE_ACTIONS]) expect(sampleAddress(route.pattern)).toMatch(/^\//);
  });

  it.each(CONSOLE_PAGES.map((route) => [sampleAddress(route.pattern)]))(
    'sends a visitor without a session from %s to the sign-in form, asking no service',
    async (path) => {
      calls.splice(0);
      for (const cookie of [undefined, 'flywheel_console=made-up']) {
        const res = await kit.get(path, cookie);
        expect([res.status, res.headers.get('location')]).toEqual([303, '/login']);
      }
      expect(calls).toEqual([]);
    },
  );

  it.each(CONSOLE_ACTIONS.map((route) => [sampleAddress(route.pattern)]))(
    'refuses the form %s to a visitor without a session, asking no service',
    async (path) => {
      calls.splice(0);
      const res = await kit.post(path, { csrf: 'anything', reason: 'x' });
      expect([res.status, res.headers.get('location')]).toEqual([303, '/login']);
      expect(calls).toEqual([]);
    },
  );
});
