import { JsonLogger } from './json-logger';
import { runWithTraceparent } from './request-context';

function capture(level: 'info' | 'debug' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = new JsonLogger({
    service: 'registry',
    level,
    write: (line) => lines.push(line),
    clock: () => new Date('2030-01-02T03:04:05.000Z'),
  });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, service, msg and the Nest context', () => {
    const { logger, lines, entries } = capture();
    logger.log('model registered', 'RegistryService');
    expect(lines).toEqual([
      '{"time":"2030-01-02T03:04:05.000Z","level":"info","service":"registry","msg":"model registered","context":"RegistryService"}\n',
    ]);
    logger.warn({ msg: 'alias refused', model: 'fraud', margin: 0.01 });
    expect(entries()[1]).toMatchObject({ level: 'warn', msg: 'alias refused', model: 'fraud', margin: 0.01 });
  });

  it('adds the trace id inside a request context', () => {
    const { logger, entries } = capture();
    runWithTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', () => logger.log('inside'));
    logger.log('outside');
    expect(entries()[0].traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(entries()[1]).not.toHaveProperty('traceId');
  });

  it('keeps error stacks, both as an Error and as Nest passes them', () => {
    const { logger, entries } = capture();
    const error = new Error('boom');
    logger.error(error);
    logger.error('failed', error.stack, 'ExceptionsHandler');
    expect(entries()[0]).toMatchObject({ level: 'error', msg: 'boom', error: 'boom', stack: error.stack });
    expect(entries()[1]).toMatchObject({ msg: 'failed', stack: error.stack, context: 'ExceptionsHandler' });
  });

  it('drops entries below its level and follows Nest level settings', () => {
    const { logger, entries } = capture('info');
    logger.debug('hidden');
    logger.verbose('hidden too');
    logger.setLogLevels(['debug', 'log', 'warn', 'error']);
    logger.debug('shown');
    expect(entries().map((entry) => entry.msg)).toEqual(['shown']);
  });

  it('does not let an entry overwrite the fields the logger owns', () => {
    const { logger, entries } = capture();
    logger.entry('info', 'real', { service: 'spoofed', level: 'fatal', n: 1n });
    expect(entries()[0]).toMatchObject({ service: 'registry', level: 'info', field_service: 'spoofed', field_level: 'fatal', n: '1' });
  });
});
