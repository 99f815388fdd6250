import { type ServiceError } from '@grpc/grpc-js';

/** The error a gRPC call failed with, for assertions on its code and details; throws if the call succeeded. */
export async function grpcError(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded');
}
