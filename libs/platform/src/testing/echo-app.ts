import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { GrpcMethod, GrpcStreamMethod } from '@nestjs/microservices';
import { map, type Observable, range, reduce } from 'rxjs';
import { z } from 'zod';
import { currentCaller } from '../auth/current-caller';
import { parseRequest } from '../errors/invalid-argument.exception';
import { currentContext } from '../logging/request-context';
import { ShelfException, ShelfExceptionCode } from './shelf.exception';

export const ECHO_PROTO_PATH = join(__dirname, 'fixtures', 'echo.proto');
export const ECHO_PACKAGE = 'flywheel.platformtest.v1';
export const ECHO_SERVICE = 'EchoService';
export const ECHO_SERVICE_FULL_NAME = `${ECHO_PACKAGE}.${ECHO_SERVICE}`;

interface EchoReply {
  text: string;
  team: string;
  tokenId: string;
  traceId: string;
}

/** What the Slow handler saw, so tests can check that a cut-off call was told to stop. */
export const slowCalls: Array<{ delayMs: number; outcome: 'finished' | 'aborted' }> = [];

const shelfSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must match [a-z][a-z0-9_-]{0,62}'),
});

function reply(text: string): EchoReply {
  const caller = currentCaller();
  return {
    text,
    team: caller?.team ?? '',
    tokenId: caller?.tokenId ?? '',
    traceId: currentContext()?.trace.traceId ?? '',
  };
}

@Controller()
export class EchoController {
  @GrpcMethod(ECHO_SERVICE, 'Echo')
  echo(request: { text: string }): EchoReply {
    return reply(request.text);
  }

  @GrpcMethod(ECHO_SERVICE, 'Publish')
  publish(request: { text: string }): EchoReply {
    return reply(`published ${request.text}`);
  }

  @GrpcMethod(ECHO_SERVICE, 'Fail')
  fail(request: { code: string }): EchoReply {
    const code = request.code as ShelfExceptionCode;
    throw new ShelfException(`shelf "${code}" failed on purpose`, code, { secret: 'not for the caller' });
  }

  @GrpcMethod(ECHO_SERVICE, 'Crash')
  crash(): EchoReply {
    throw new Error('database password is hunter2');
  }

  @GrpcMethod(ECHO_SERVICE, 'Slow')
  async slow(request: { delayMs: number }): Promise<EchoReply> {
    const signal = currentContext()?.signal;
    const outcome = await new Promise<'finished' | 'aborted'>((resolve) => {
      const timer = setTimeout(() => resolve('finished'), request.delayMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve('aborted');
      });
    });
    slowCalls.push({ delayMs: request.delayMs, outcome });
    return reply(`slept ${request.delayMs} ms`);
  }

  @GrpcMethod(ECHO_SERVICE, 'Rename')
  rename(request: { shelf?: unknown }): EchoReply {
    const shelf = parseRequest(shelfSchema, request.shelf, 'shelf');
    if (shelf.name === 'locked') throw new ShelfException('shelf "locked" is locked', ShelfExceptionCode.SHELF_LOCKED);
    return reply(shelf.name);
  }

  @GrpcMethod(ECHO_SERVICE, 'Count')
  count(request: { count: number }): Observable<EchoReply> {
    const caller = reply('');
    return range(1, request.count).pipe(map((n) => ({ ...caller, text: String(n) })));
  }

  @GrpcStreamMethod(ECHO_SERVICE, 'Collect')
  collect(requests: Observable<{ text: string }>): Observable<EchoReply> {
    const caller = reply('');
    return requests.pipe(
      reduce((texts: string[], request) => [...texts, request.text], []),
      map((texts) => ({ ...caller, text: texts.join(' ') })),
    );
  }
}

@Module({ controllers: [EchoController] })
export class EchoModule {}

/** A controller of a method whose .proto forgot its role: the platform must refuse to boot with it. */
@Controller()
export class UnguardedController {
  @GrpcMethod('UnguardedService', 'Echo')
  echo(request: { text: string }): EchoReply {
    return reply(request.text);
  }
}

@Module({ controllers: [UnguardedController] })
export class UnguardedModule {}
