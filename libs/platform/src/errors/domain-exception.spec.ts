import { AuthException, AuthExceptionCode } from '../auth/auth.exception';
import { ShelfException, ShelfExceptionCode } from '../testing/shelf.exception';
import { assertNever } from './assert-never';
import { DomainException, GrpcStatus } from './domain.exception';
import { fieldPath, invalidArgument, InvalidArgumentException, parseRequest } from './invalid-argument.exception';
import { z } from 'zod';

describe('domain exceptions', () => {
  it('map each code of a feature to its gRPC status in the feature switch', () => {
    const expected: Record<ShelfExceptionCode, GrpcStatus> = {
      [ShelfExceptionCode.SHELF_NOT_FOUND]: GrpcStatus.NOT_FOUND,
      [ShelfExceptionCode.SHELF_LOCKED]: GrpcStatus.FAILED_PRECONDITION,
      [ShelfExceptionCode.SHELF_ALREADY_EXISTS]: GrpcStatus.ALREADY_EXISTS,
      [ShelfExceptionCode.SHELF_STORE_FAILED]: GrpcStatus.INTERNAL,
    };
    for (const code of Object.values(ShelfExceptionCode)) {
      const exception = new ShelfException(`shelf ${code}`, code);
      expect(exception).toBeInstanceOf(DomainException);
      expect(exception.grpcStatus()).toBe(expected[code]);
    }
  });

  it('carry message, code, details and their class name', () => {
    const exception = new ShelfException('shelf "a" not found', ShelfExceptionCode.SHELF_NOT_FOUND, { shelf: 'a' });
    expect(exception).toMatchObject({ message: 'shelf "a" not found', code: 'SHELF_NOT_FOUND', details: { shelf: 'a' } });
    expect(exception.name).toBe('ShelfException');
  });

  it('fail loudly on a code outside the enum (a value the compiler could not see)', () => {
    expect(() => new ShelfException('x', 'BOGUS' as ShelfExceptionCode).grpcStatus()).toThrow('unhandled ShelfExceptionCode: BOGUS');
    expect(() => assertNever('x' as never)).toThrow('unhandled value: x');
  });

  it('map auth failures to UNAUTHENTICATED and PERMISSION_DENIED', () => {
    expect(new AuthException('', AuthExceptionCode.MISSING_TOKEN).grpcStatus()).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(new AuthException('', AuthExceptionCode.UNKNOWN_TOKEN).grpcStatus()).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(new AuthException('', AuthExceptionCode.ROLE_REQUIRED).grpcStatus()).toBe(GrpcStatus.PERMISSION_DENIED);
  });
});

describe('validation', () => {
  const modelSchema = z.object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must match [a-z][a-z0-9_-]{0,62}'),
    tags: z.array(z.string().min(1, 'must not be empty')).default([]),
    margin: z.number().min(0, 'must be at least 0'),
  });

  it('names every bad field from the request root in an INVALID_ARGUMENT message', () => {
    let caught: unknown;
    try {
      parseRequest(modelSchema, { name: 'Fraud Model', tags: ['ok', ''], margin: -1 }, 'model');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentException);
    const exception = caught as InvalidArgumentException;
    expect(exception.grpcStatus()).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(exception.message).toBe(
      'model.name: must match [a-z][a-z0-9_-]{0,62}; model.tags[1]: must not be empty; model.margin: must be at least 0',
    );
    expect(exception.violations.map((v) => v.field)).toEqual(['model.name', 'model.tags[1]', 'model.margin']);
  });

  it('says "is required" for a missing field and returns the parsed value when valid', () => {
    expect(() => parseRequest(modelSchema, { name: 'fraud' }, 'model')).toThrow('model.margin: is required');
    expect(parseRequest(modelSchema, { name: 'fraud', margin: 0.01 })).toEqual({ name: 'fraud', tags: [], margin: 0.01 });
  });

  it('builds single-field errors and paths', () => {
    expect(invalidArgument('dataset.name', 'must match [a-z]').message).toBe('dataset.name: must match [a-z]');
    expect(fieldPath(undefined, ['rows', 3, 'amount'])).toBe('rows[3].amount');
    expect(fieldPath(undefined, [])).toBe('(request)');
  });
});
