import { readFileSync } from 'node:fs';
import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { eventually, unaryBytes } from '@flywheel/test-kit';
import { ERROR_CODE_METADATA_KEY } from '../errors/grpc-exception.filter';
import { MissingRequiredRoleError } from './required-role.check';
import { Role } from './role';
import { issueToken, writeTokensFile } from './token-file';
import { parseTokensFile } from './tokens';
import { ECHO_SERVICE_FULL_NAME, slowCalls, UnguardedModule } from '../testing/echo-app';
import { type EchoHarness, startEchoService, unary } from '../testing/echo-harness';

// A real Nest gRPC service on loopback, called through @grpc/grpc-js as any client would.

/** Whether the slow handler called with `delayMs` soon sees its signal aborted. */
function handlerAborted(delayMs: number): Promise<boolean> {
  return eventually(() => slowCalls.some((call) => call.delayMs === delayMs && call.outcome === 'aborted'), 5_000, 25);
}

function healthCheck(harness: EchoHarness, service: string): Promise<{ code: GrpcStatus; status?: string }> {
  const client = harness.healthClient() as unknown as {
    check(request: { service: string }, callback: (error: { code: GrpcStatus } | null, reply?: { status: string }) => void): void;
  };
  return new Promise((resolve) =>
    client.check({ service }, (error, reply) => resolve(error ? { code: error.code } : { code: GrpcStatus.OK, status: reply?.status })),
  );
}

describe('a platform gRPC service', () => {
  let harness: EchoHarness;

  beforeAll(async () => {
    harness = await startEchoService({ env: { GRPC_MAX_MESSAGE_BYTES: String(1024 * 1024) } });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  describe('authentication and roles', () => {
    it('answers UNAUTHENTICATED without a token', async () => {
      const result = await unary(harness.client(), 'echo', { text: 'hi' });
      expect(result.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(result.details).toMatch(/missing API token/);
    });

    it('answers UNAUTHENTICATED for an unknown token and for a header that is not a bearer token', async () => {
      const client = harness.client();
      const unknown = await unary(client, 'echo', { text: 'hi' }, { token: `fw_${'A'.repeat(43)}` });
      expect(unknown.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(unknown.details).toBe('unknown API token');
      const basic = await unary(client, 'echo', { text: 'hi' }, { metadata: { authorization: `Basic ${harness.tokens.reader}` } });
      expect(basic.code).toBe(GrpcStatus.UNAUTHENTICATED);
    });

    it('answers PERMISSION_DENIED for a known token without the method role', async () => {
      const client = harness.client();
      for (const token of [harness.tokens.reader, harness.tokens.writer]) {
        const result = await unary(client, 'publish', { text: 'v2' }, { token });
        expect(result.code).toBe(GrpcStatus.PERMISSION_DENIED);
        expect(result.details).toMatch(/lacks role "promote"/);
      }
    });

    it('lets the right token through and gives the handler the caller identity', async () => {
      const client = harness.client();
      const read = await unary(client, 'echo', { text: 'hi' }, { token: harness.tokens.reader });
      expect(read).toMatchObject({ code: GrpcStatus.OK, value: { text: 'hi', team: 'analysts' } });
      expect(read.value?.tokenId).toMatch(/^tok_[0-9a-f]{16}$/);
      // Every role implies read; admin implies every role.
      expect((await unary(client, 'echo', { text: 'w' }, { token: harness.tokens.writer })).value).toMatchObject({ team: 'fraud' });
      expect(await unary(client, 'publish', { text: 'v2' }, { token: harness.tokens.admin })).toMatchObject({
        code: GrpcStatus.OK,
        value: { text: 'published v2', team: 'platform' },
      });
    });

    it('picks up a change of the tokens file without a restart', async () => {
      const client = harness.client();
      // Whether a call with `token` is soon answered with `code`: the file is watched, not read per call.
      const soonAnswers = (method: string, token: string, code: GrpcStatus) =>
        eventually(async () => (await unary(client, method, { text: 'x' }, { token })).code === code, 5_000, 25);
      const issued = issueToken(harness.tokensFile, { team: 'late', roles: [Role.Promote] });
      expect(await soonAnswers('publish', issued.token, GrpcStatus.OK)).toBe(true);
      // Revoking: rewrite the file without the reader's token.
      const content = parseTokensFile(readFileSync(harness.tokensFile, 'utf8'), harness.tokensFile);
      writeTokensFile(harness.tokensFile, { tokens: content.tokens.filter((record) => record.team !== 'analysts') });
      expect(await soonAnswers('echo', harness.tokens.reader, GrpcStatus.UNAUTHENTICATED)).toBe(true);
      writeTokensFile(harness.tokensFile, content);
      expect(await soonAnswers('echo', harness.tokens.reader, GrpcStatus.OK)).toBe(true);
    });
  });

  describe('errors', () => {
    it('returns a domain exception with the status its feature maps it to, its message and its code', async () => {
      const client = harness.client();
      const notFound = await unary(client, 'fail', { code: 'SHELF_NOT_FOUND' }, { token: harness.tokens.reader });
      expect(notFound.code).toBe(GrpcStatus.NOT_FOUND);
      expect(notFound.details).toBe('shelf "SHELF_NOT_FOUND" failed on purpose');
      expect(notFound.trailers?.get(ERROR_CODE_METADATA_KEY)).toEqual(['SHELF_NOT_FOUND']);
      const locked = await unary(client, 'rename', { shelf: { name: 'locked' } }, { token: harness.tokens.writer });
      expect(locked).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION, details: 'shelf "locked" is locked' });
      const exists = await unary(client, 'fail', { code: 'SHELF_ALREADY_EXISTS' }, { token: harness.tokens.reader });
      expect(exists.code).toBe(GrpcStatus.ALREADY_EXISTS);
    });

    it('names the bad field in INVALID_ARGUMENT', async () => {
      const client = harness.client();
      const bad = await unary(client, 'rename', { shelf: { name: 'Not Valid' } }, { token: harness.tokens.writer });
      expect(bad).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'shelf.name: must match [a-z][a-z0-9_-]{0,62}' });
      const missing = await unary(client, 'rename', {}, { token: harness.tokens.writer });
      expect(missing).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'shelf: is required' });
    });

    it('answers bytes that are no request INVALID_ARGUMENT, and only to a caller who may make the call', async () => {
      const path = `/${ECHO_SERVICE_FULL_NAME}/Echo`;
      // text = "a", then a field key whose value is missing.
      const garbage = Buffer.from([0x0a, 0x01, 0x61, 0x0f]);
      expect(await unaryBytes(harness.service.grpcAddress, path, garbage, harness.tokens.reader)).toEqual({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: '(request): is not a valid EchoRequest message: index out of range: 4 + 1 > 4',
      });
      expect(await unaryBytes(harness.service.grpcAddress, path, garbage)).toEqual({
        code: GrpcStatus.UNAUTHENTICATED,
        details: 'missing API token: send metadata "authorization: Bearer <token>"',
      });
      expect((await unaryBytes(harness.service.grpcAddress, path, garbage, `fw_${'A'.repeat(43)}`)).code).toBe(GrpcStatus.UNAUTHENTICATED);
      // Publish needs a role the reader lacks: refused for that, whatever the bytes.
      const denied = await unaryBytes(harness.service.grpcAddress, `/${ECHO_SERVICE_FULL_NAME}/Publish`, garbage, harness.tokens.reader);
      expect(denied).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: 'team "analysts" lacks role "promote" for this method' });
      // The same method decodes good bytes as before: EchoRequest{text = "ok"}.
      const fine = await unaryBytes(harness.service.grpcAddress, path, Buffer.from([0x0a, 0x02, 0x6f, 0x6b]), harness.tokens.reader);
      expect(fine.code).toBe(GrpcStatus.OK);
    });

    it('turns an unknown error into INTERNAL, logs its stack and keeps its message from the caller', async () => {
      const result = await unary(harness.client(), 'crash', { text: '' }, { token: harness.tokens.reader });
      expect(result.code).toBe(GrpcStatus.INTERNAL);
      expect(result.details).not.toContain('hunter2');
      const traceId = /trace ([0-9a-f]{32})/.exec(result.details)?.[1];
      expect(traceId).toBeDefined();
      const logged = harness.logs.find((line) => line.level === 'error' && line.traceId === traceId);
      expect(logged?.msg).toContain('hunter2');
      expect(logged?.stack).toContain('EchoController.crash');
    });
  });

  describe('trace context', () => {
    it('continues the caller trace from its traceparent metadata, in the handler and in the logs', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const result = await unary(
        harness.client(),
        'fail',
        { code: 'SHELF_LOCKED' },
        {
          token: harness.tokens.reader,
          metadata: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      );
      expect(result.code).toBe(GrpcStatus.FAILED_PRECONDITION);
      const line = harness.logs.find((entry) => entry.traceId === traceId);
      expect(line).toMatchObject({ service: 'echo', level: 'debug', code: 'SHELF_LOCKED' });
      expect(line?.spanId).not.toBe('00f067aa0ba902b7');
      const echoed = await unary(
        harness.client(),
        'echo',
        { text: 't' },
        {
          token: harness.tokens.reader,
          metadata: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      );
      expect(echoed.value?.traceId).toBe(traceId);
    });
  });

  describe('limits', () => {
    it('ends a handler that runs past the client deadline with DEADLINE_EXCEEDED and aborts its work', async () => {
      const result = await unary(harness.client(), 'slow', { delayMs: 3000 }, { token: harness.tokens.reader, deadlineMs: 200 });
      expect(result.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(await handlerAborted(3000)).toBe(true);
    });

    it('refuses a message larger than GRPC_MAX_MESSAGE_BYTES with RESOURCE_EXHAUSTED', async () => {
      const client = harness.client();
      const big = await unary(client, 'echo', { text: 'x'.repeat(2 * 1024 * 1024) }, { token: harness.tokens.reader });
      expect(big.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      const fits = await unary(client, 'echo', { text: 'x'.repeat(512 * 1024) }, { token: harness.tokens.reader });
      expect(fits.code).toBe(GrpcStatus.OK);
    });
  });

  describe('health and metrics', () => {
    it('serves grpc.health.v1 SERVING for the server and for each service', async () => {
      expect(await healthCheck(harness, '')).toEqual({ code: GrpcStatus.OK, status: 'SERVING' });
      expect(await healthCheck(harness, ECHO_SERVICE_FULL_NAME)).toEqual({ code: GrpcStatus.OK, status: 'SERVING' });
      expect((await healthCheck(harness, 'no.such.Service')).code).toBe(GrpcStatus.NOT_FOUND);
    });

    it('counts RPCs by service, method and code on /metrics, with default and library metrics', async () => {
      const scrape = async () => (await fetch(`${harness.service.httpUrl}/metrics`)).text();
      const counter = (text: string, code: string) => {
        const pattern = new RegExp(
          `^flywheel_grpc_requests_total\\{service="${ECHO_SERVICE_FULL_NAME.replace(/\./g, '\\.')}",method="Echo",code="${code}"\\} (\\d+)$`,
          'm',
        );
        return Number(pattern.exec(text)?.[1] ?? 0);
      };
      harness.service.metrics.kafkaConsumerLag().set({ group: 'g', topic: 't', partition: '0' }, 7);
      harness.service.metrics.outboxBacklog().set(3);
      const before = await scrape();
      const client = harness.client();
      await unary(client, 'echo', { text: 'a' }, { token: harness.tokens.admin });
      await unary(client, 'echo', { text: 'b' }, { token: harness.tokens.admin });
      await unary(client, 'echo', { text: 'c' });
      const after = await scrape();
      expect(counter(after, 'OK') - counter(before, 'OK')).toBe(2);
      expect(counter(after, 'UNAUTHENTICATED') - counter(before, 'UNAUTHENTICATED')).toBe(1);
      expect(after).toMatch(/^flywheel_grpc_request_duration_seconds_bucket\{.*method="Echo".*\} \d+$/m);
      expect(after).toMatch(/^process_cpu_user_seconds_total /m);
      expect(after).toMatch(/^flywheel_kafka_consumer_lag\{group="g",topic="t",partition="0"\} 7$/m);
      expect(after).toMatch(/^flywheel_outbox_backlog 3$/m);
    });

    it('reports /healthz 200 when every indicator passes and 503 naming the one that fails', async () => {
      let databaseUp = true;
      harness.service.health.register({
        name: 'database',
        check: () => {
          if (!databaseUp) throw new Error('connection refused');
          return { latencyMs: 1 };
        },
      });
      const ok = await fetch(`${harness.service.httpUrl}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'ok', checks: { grpc: { status: 'up' }, database: { status: 'up' } } });
      databaseUp = false;
      const down = await fetch(`${harness.service.httpUrl}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'error',
        checks: { grpc: { status: 'up' }, database: { status: 'down', error: 'connection refused' } },
      });
      databaseUp = true;
    });
  });
});

describe('platform gRPC service limits and lifecycle', () => {
  it('ends a call without a client deadline at GRPC_DEADLINE_MS with DEADLINE_EXCEEDED', async () => {
    const harness = await startEchoService({ env: { GRPC_DEADLINE_MS: '300' } });
    try {
      const started = Date.now();
      const result = await unary(harness.client(), 'slow', { delayMs: 4000 }, { token: harness.tokens.reader });
      expect(result.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
      expect(result.details).toMatch(/server's limit of 300 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await handlerAborted(4000)).toBe(true);
      const metrics = await (await fetch(`${harness.service.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/^flywheel_grpc_requests_total\{.*method="Slow",code="DEADLINE_EXCEEDED"\} 1$/m);
    } finally {
      await harness.stop();
    }
  });

  it('finishes an in-flight call on graceful shutdown, refusing new ones and reporting not ready meanwhile', async () => {
    const harness = await startEchoService();
    const client = harness.client();
    try {
      const inFlight = unary(client, 'slow', { delayMs: 800 }, { token: harness.tokens.reader });
      expect(await eventually(async () => harness.logs.some((line) => line.msg === 'tokens loaded'), 5_000, 25)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const shutdown = harness.service.shutdown('SIGTERM');
      expect(harness.service.grpcHealth.status).toBe('NOT_SERVING');
      const healthz = await fetch(`${harness.service.httpUrl}/healthz`);
      expect(healthz.status).toBe(503);
      expect(await healthz.json()).toMatchObject({ checks: { grpc: { status: 'down', error: 'gRPC server is NOT_SERVING' } } });
      const late = await unary(harness.client(), 'echo', { text: 'late' }, { token: harness.tokens.reader, deadlineMs: 2000 });
      expect(late.code).toBe(GrpcStatus.UNAVAILABLE);
      expect(await inFlight).toMatchObject({ code: GrpcStatus.OK, value: { text: 'slept 800 ms' } });
      await shutdown;
      expect(harness.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'service stopped']));
    } finally {
      await harness.stop();
    }
  });

  it('cancels calls that outlive SHUTDOWN_TIMEOUT_MS, telling their handlers to stop', async () => {
    const harness = await startEchoService({ env: { SHUTDOWN_TIMEOUT_MS: '200' } });
    try {
      const inFlight = unary(harness.client(), 'slow', { delayMs: 6000 }, { token: harness.tokens.reader });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = Date.now();
      await harness.service.shutdown('SIGTERM');
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await inFlight).code).not.toBe(GrpcStatus.OK);
      expect(await handlerAborted(6000)).toBe(true);
      expect(harness.logs.some((line) => line.level === 'warn' && String(line.msg).includes('outlived the shutdown timeout'))).toBe(true);
    } finally {
      await harness.stop();
    }
  });

  it('refuses to boot with a gRPC method that declares no role', async () => {
    const boot = startEchoService({ module: UnguardedModule });
    await expect(boot).rejects.toThrow(MissingRequiredRoleError);
    await expect(boot).rejects.toThrow(/UnguardedController\.echo/);
  });
});

describe('streaming calls', () => {
  let harness: EchoHarness;
  beforeAll(async () => {
    harness = await startEchoService();
  });
  afterAll(async () => {
    await harness?.stop();
  });

  function metadataFor(token?: string): Metadata {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  function serverStream(token?: string): Promise<{ code: GrpcStatus; replies: Array<{ text: string; team: string }> }> {
    const client = harness.client() as unknown as {
      count(request: { count: number }, metadata: Metadata): NodeJS.EventEmitter;
    };
    const replies: Array<{ text: string; team: string }> = [];
    const call = client.count({ count: 3 }, metadataFor(token));
    return new Promise((resolve) => {
      call.on('data', (reply: { text: string; team: string }) => replies.push(reply));
      call.on('error', (error: { code: GrpcStatus }) => resolve({ code: error.code, replies }));
      call.on('end', () => resolve({ code: GrpcStatus.OK, replies }));
    });
  }

  function clientStream(token: string | undefined, texts: string[]): Promise<{ code: GrpcStatus; reply?: { text: string; team: string } }> {
    const client = harness.client() as unknown as {
      collect(
        metadata: Metadata,
        callback: (error: { code: GrpcStatus } | null, reply?: { text: string; team: string }) => void,
      ): { write(message: unknown): void; end(): void };
    };
    return new Promise((resolve) => {
      const call = client.collect(metadataFor(token), (error, reply) =>
        resolve(error ? { code: error.code } : { code: GrpcStatus.OK, reply }),
      );
      for (const text of texts) call.write({ text });
      call.end();
    });
  }

  it('authenticates server-streaming calls and gives the handler the caller', async () => {
    expect((await serverStream()).code).toBe(GrpcStatus.UNAUTHENTICATED);
    const ok = await serverStream(harness.tokens.reader);
    expect(ok.code).toBe(GrpcStatus.OK);
    expect(ok.replies.map((reply) => reply.text)).toEqual(['1', '2', '3']);
    expect(ok.replies[0].team).toBe('analysts');
  });

  it('ends a client stream with INVALID_ARGUMENT at a message that is no request, only for an authorised caller', async () => {
    const collect = (token: string | undefined, messages: Buffer[]) => {
      const client = new Client(harness.service.grpcAddress, credentials.createInsecure());
      return new Promise<{ code: GrpcStatus; details: string }>((resolve) => {
        const call = client.makeClientStreamRequest(
          `/${ECHO_SERVICE_FULL_NAME}/Collect`,
          (message: Buffer) => message,
          (reply: Buffer) => reply,
          metadataFor(token),
          (error) => resolve(error ? { code: error.code, details: error.details } : { code: GrpcStatus.OK, details: '' }),
        );
        for (const message of messages) call.write(message);
        call.end();
      }).finally(() => client.close());
    };
    const good = Buffer.from([0x0a, 0x01, 0x61]);
    const garbage = Buffer.from([0x0a, 0x01, 0x61, 0x0f]);
    expect(await collect(harness.tokens.writer, [good, garbage, good])).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: '(request): is not a valid EchoRequest message: index out of range: 4 + 1 > 4',
    });
    expect((await collect(undefined, [garbage])).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await collect(harness.tokens.reader, [garbage])).code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await collect(harness.tokens.writer, [good, good])).code).toBe(GrpcStatus.OK);
  });

  it('authenticates client-streaming calls and checks their role', async () => {
    expect((await clientStream(undefined, ['a'])).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect((await clientStream(harness.tokens.reader, ['a'])).code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(await clientStream(harness.tokens.writer, ['a', 'b', 'c'])).toEqual({
      code: GrpcStatus.OK,
      reply: expect.objectContaining({ text: 'a b c', team: 'fraud' }),
    });
  });
});
