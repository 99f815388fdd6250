import { type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import { type LogLevelName } from '../config/base-config.schema';
import { currentContext } from './request-context';

const SEVERITY: Record<LogLevelName, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

const FROM_NEST: Record<NestLogLevel, LogLevelName> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Fields the logger owns; extra fields with these names are renamed rather than lost. */
const RESERVED = new Set(['time', 'level', 'service', 'msg', 'traceId', 'spanId', 'context']);

export interface JsonLoggerOptions {
  readonly service: string;
  readonly level?: LogLevelName;
  /** Receives one complete line (with its newline). Defaults to stdout. */
  readonly write?: (line: string) => void;
  readonly clock?: () => Date;
}

export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line: `time`, `level`, `service`, `msg`, `traceId` (when inside a request
 * context), then the entry's own fields. Nest hands its loggers `(message, ...params, context)`;
 * a message may be a string, an Error or an object of fields with `msg`.
 */
export class JsonLogger implements LoggerService {
  private threshold: number;
  private readonly write: (line: string) => void;
  private readonly clock: () => Date;

  constructor(private readonly options: JsonLoggerOptions) {
    this.threshold = SEVERITY[options.level ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.clock = options.clock ?? (() => new Date());
  }

  get service(): string {
    return this.options.service;
  }

  isEnabled(level: LogLevelName): boolean {
    return SEVERITY[level] >= this.threshold;
  }

  setLevel(level: LogLevelName): void {
    this.threshold = SEVERITY[level];
  }

  setLogLevels(levels: NestLogLevel[]): void {
    const lowest = Math.min(...levels.map((level) => SEVERITY[FROM_NEST[level]]));
    if (Number.isFinite(lowest)) this.threshold = lowest;
  }

  log(message: unknown, ...params: unknown[]): void {
    this.emit('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params, true);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('fatal', message, params, true);
  }

  /** For platform code that logs structured fields without going through Nest's `Logger`. */
  entry(level: LogLevelName, msg: string, fields: LogFields = {}): void {
    if (!this.isEnabled(level)) return;
    this.writeEntry(level, msg, undefined, fields);
  }

  private emit(level: LogLevelName, message: unknown, params: unknown[], mayCarryStack = false): void {
    if (!this.isEnabled(level)) return;
    const rest = [...params];
    // Nest appends the logger context (usually a class name) as the last string parameter.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: LogFields = {};
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      Object.assign(fields, describeError(message));
    } else if (message !== null && typeof message === 'object') {
      const { msg: inner, message: alt, ...others } = message as LogFields;
      msg = typeof inner === 'string' ? inner : typeof alt === 'string' ? alt : '';
      Object.assign(fields, others);
    } else {
      msg = String(message);
    }
    for (const param of rest) {
      if (param instanceof Error) Object.assign(fields, describeError(param));
      else if (mayCarryStack && typeof param === 'string' && param.includes('\n    at ')) fields.stack = param;
      else if (param !== null && typeof param === 'object') Object.assign(fields, param);
      else if (param !== undefined) fields.detail = param;
    }
    this.writeEntry(level, msg, context, fields);
  }

  private writeEntry(level: LogLevelName, msg: string, context: string | undefined, fields: LogFields): void {
    const request = currentContext();
    const line: LogFields = { time: this.clock().toISOString(), level, service: this.options.service, msg };
    if (request) {
      line.traceId = request.trace.traceId;
      line.spanId = request.trace.spanId;
    }
    if (context) line.context = context;
    for (const [key, value] of Object.entries(fields)) {
      line[RESERVED.has(key) ? `field_${key}` : key] = value instanceof Error ? describeError(value) : value;
    }
    this.write(`${safeStringify(line)}\n`);
  }
}

function describeError(error: Error): LogFields {
  return { error: error.message, errorName: error.name, stack: error.stack };
}

function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (item !== null && typeof item === 'object') {
      if (seen.has(item)) return '[circular]';
      seen.add(item);
    }
    return item;
  });
}
