import { type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { type ReflectionIndex } from './reflection-index';

/** Both versions share one wire format; clients pick whichever they know. */
export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

// Longer than any name protoc accepts in practice; anything beyond is hostile or broken.
export const MAX_REFLECTION_NAME_LENGTH = 1024;

/** google.rpc.Code values the reflection protocol puts in ErrorResponse.error_code. */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

// ServerReflectionRequest / ServerReflectionResponse field numbers (grpc/reflection/v1/reflection.proto).
const Request = {
  host: 1,
  fileByFilename: 3,
  fileContainingSymbol: 4,
  fileContainingExtension: 5,
  allExtensionNumbersOfType: 6,
  listServices: 7,
} as const;
const ExtensionRequest = { containingType: 1, extensionNumber: 2 } as const;
const Response = {
  validHost: 1,
  originalRequest: 2,
  fileDescriptorResponse: 4,
  allExtensionNumbersResponse: 5,
  listServicesResponse: 6,
  errorResponse: 7,
} as const;

type ReflectionQuery =
  | { readonly kind: 'fileByFilename' | 'fileContainingSymbol' | 'allExtensionNumbersOfType'; readonly name: Name }
  | { readonly kind: 'fileContainingExtension'; readonly containingType: Name; readonly extensionNumber: number }
  | { readonly kind: 'listServices' }
  | { readonly kind: 'none' };

/** A name from the request; a too-long one is never decoded, only reported. */
type Name = { readonly text: string } | { readonly tooLongBytes: number };

interface DecodedRequest {
  readonly host: string;
  readonly query: ReflectionQuery;
}

/** What server reflection knows and lists. */
export interface ReflectionCatalog {
  readonly index: ReflectionIndex;
  /** Fully qualified names of the services the server serves, answered to list_services. */
  readonly services: readonly string[];
}

/**
 * The ServerReflectionResponse to one serialized ServerReflectionRequest. File answers carry the
 * file and all it imports, transitively (as grpc-java does), so every answer stands on its own.
 */
export function answerReflectionRequest(catalog: ReflectionCatalog, request: Uint8Array): Uint8Array {
  const writer = new BinaryWriter();
  let decoded: DecodedRequest;
  try {
    decoded = decodeRequest(request);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return errorResponse(writer, INVALID_ARGUMENT, `not a valid ServerReflectionRequest: ${reason}`);
  }
  if (decoded.host.length <= MAX_REFLECTION_NAME_LENGTH) writer.tag(Response.validHost, WireType.LengthDelimited).string(decoded.host);
  // An oversized request is not echoed back: that would double what a hostile client makes us send.
  if (request.length <= 2 * MAX_REFLECTION_NAME_LENGTH) writer.tag(Response.originalRequest, WireType.LengthDelimited).bytes(request);
  const { query } = decoded;
  switch (query.kind) {
    case 'listServices': {
      writer.tag(Response.listServicesResponse, WireType.LengthDelimited).fork();
      for (const service of catalog.services) {
        writer.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(service).join();
      }
      writer.join();
      return writer.finish();
    }
    case 'fileByFilename':
      return fileAnswer(writer, query.name, 'file', (name) => catalog.index.fileByName(name));
    case 'fileContainingSymbol':
      return fileAnswer(writer, query.name, 'symbol', (name) => catalog.index.fileContainingSymbol(name));
    case 'fileContainingExtension': {
      const { extensionNumber } = query;
      return fileAnswer(writer, query.containingType, `extension ${extensionNumber} of type`, (name) =>
        catalog.index.fileContainingExtension(name, extensionNumber),
      );
    }
    case 'allExtensionNumbersOfType': {
      const name = query.name;
      if (!('text' in name)) return errorResponse(writer, NOT_FOUND, tooLong('type', name));
      const numbers = catalog.index.extensionNumbers(name.text);
      if (!numbers) return errorResponse(writer, NOT_FOUND, `type not found: ${name.text}`);
      writer.tag(Response.allExtensionNumbersResponse, WireType.LengthDelimited).fork();
      writer.tag(1, WireType.LengthDelimited).string(name.text);
      for (const number of numbers) writer.tag(2, WireType.Varint).int32(number);
      writer.join();
      return writer.finish();
    }
    case 'none':
      return errorResponse(writer, INVALID_ARGUMENT, 'the request asks nothing: set one of its message_request fields');
  }
}

function fileAnswer(writer: BinaryWriter, name: Name, what: string, lookUp: (name: string) => Uint8Array[] | undefined): Uint8Array {
  if (!('text' in name)) return errorResponse(writer, NOT_FOUND, tooLong(what, name));
  const files = lookUp(name.text);
  if (!files) return errorResponse(writer, NOT_FOUND, `${what} not found: ${name.text}`);
  writer.tag(Response.fileDescriptorResponse, WireType.LengthDelimited).fork();
  for (const file of files) writer.tag(1, WireType.LengthDelimited).bytes(file);
  writer.join();
  return writer.finish();
}

function tooLong(what: string, name: { readonly tooLongBytes: number }): string {
  return `${what} not found: the name is ${name.tooLongBytes} bytes long, more than ${MAX_REFLECTION_NAME_LENGTH}`;
}

function errorResponse(writer: BinaryWriter, code: number, message: string): Uint8Array {
  writer.tag(Response.errorResponse, WireType.LengthDelimited).fork();
  writer.tag(1, WireType.Varint).int32(code);
  writer.tag(2, WireType.LengthDelimited).string(message);
  writer.join();
  return writer.finish();
}

function decodeRequest(bytes: Uint8Array): DecodedRequest {
  const reader = new BinaryReader(bytes);
  let host = '';
  let query: ReflectionQuery = { kind: 'none' };
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const lengthDelimited = wireType === WireType.LengthDelimited;
    // Like any oneof, the last of its fields on the wire wins.
    if (fieldNo === Request.host && lengthDelimited) host = readName(reader, 'host');
    else if (fieldNo === Request.fileByFilename && lengthDelimited) query = { kind: 'fileByFilename', name: name(reader) };
    else if (fieldNo === Request.fileContainingSymbol && lengthDelimited) query = { kind: 'fileContainingSymbol', name: name(reader) };
    else if (fieldNo === Request.allExtensionNumbersOfType && lengthDelimited)
      query = { kind: 'allExtensionNumbersOfType', name: name(reader) };
    else if (fieldNo === Request.listServices && lengthDelimited) {
      reader.bytes();
      query = { kind: 'listServices' };
    } else if (fieldNo === Request.fileContainingExtension && lengthDelimited) query = extensionRequest(reader.bytes());
    else reader.skip(wireType, fieldNo);
  }
  return { host, query };
}

function extensionRequest(bytes: Uint8Array): ReflectionQuery {
  const reader = new BinaryReader(bytes);
  let containingType: Name = { text: '' };
  let extensionNumber = 0;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === ExtensionRequest.containingType && wireType === WireType.LengthDelimited) containingType = name(reader);
    else if (fieldNo === ExtensionRequest.extensionNumber && wireType === WireType.Varint) extensionNumber = reader.int32();
    else reader.skip(wireType, fieldNo);
  }
  return { kind: 'fileContainingExtension', containingType, extensionNumber };
}

function name(reader: BinaryReader): Name {
  const bytes = reader.bytes();
  if (bytes.length > MAX_REFLECTION_NAME_LENGTH) return { tooLongBytes: bytes.length };
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

function readName(reader: BinaryReader, field: string): string {
  const decoded = name(reader);
  if (!('text' in decoded)) throw new Error(`${field} is ${decoded.tooLongBytes} bytes long`);
  return decoded.text;
}

/**
 * grpc-js service definitions for both reflection versions. Requests stay bytes until the handler
 * decodes them, so no input can fail the stream: each gets an answer.
 */
export function reflectionServiceDefinitions(): ServiceDefinition[] {
  const identity = (value: Buffer): Buffer => value;
  return REFLECTION_SERVICES.map(
    (service) =>
      ({
        ServerReflectionInfo: {
          path: `/${service}/ServerReflectionInfo`,
          requestStream: true,
          responseStream: true,
          originalName: 'serverReflectionInfo',
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      }) as ServiceDefinition,
  );
}

/** Answers each request of a ServerReflectionInfo stream in order, waiting while the client reads slowly. */
export function serveReflectionStream(catalog: ReflectionCatalog): (call: ServerDuplexStream<Buffer, Buffer>) => void {
  return (call) => {
    call.on('data', (request: Buffer) => {
      if (call.cancelled) return;
      const flowing = call.write(Buffer.from(answerReflectionRequest(catalog, request)));
      if (!flowing) {
        call.pause();
        call.once('drain', () => call.resume());
      }
    });
    call.on('end', () => call.end());
    // A client that goes away mid-stream is no server error; grpc-js has already ended the call.
    call.on('error', () => undefined);
  };
}
