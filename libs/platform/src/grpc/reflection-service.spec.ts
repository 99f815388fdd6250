import { fileDescriptorSet } from '@flywheel/contracts';
import { createFileRegistry, fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionIndex } from './reflection-index';
import { answerReflectionRequest, MAX_REFLECTION_NAME_LENGTH, type ReflectionCatalog } from './reflection-service';

// The real reflection messages, from the same descriptors the service serves, check its wire format.
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, fileDescriptorSet()));
const requestType = registry.getMessage('grpc.reflection.v1.ServerReflectionRequest');
const responseType = registry.getMessage('grpc.reflection.v1.ServerReflectionResponse');
if (!requestType || !responseType) throw new Error('the contracts descriptor set lacks grpc/reflection/v1/reflection.proto');

const catalog: ReflectionCatalog = {
  index: new ReflectionIndex([fileDescriptorSet()]),
  services: ['flywheel.ingestion.v1.IngestionService', 'grpc.health.v1.Health'],
};

function encode(request: JsonValue): Uint8Array {
  return toBinary(requestType!, fromJson(requestType!, request));
}

function ask(request: Uint8Array): Record<string, unknown> {
  return toJson(responseType!, fromBinary(responseType!, answerReflectionRequest(catalog, request))) as Record<string, unknown>;
}

function fileNames(response: Record<string, unknown>): string[] {
  const files = (response.fileDescriptorResponse as { fileDescriptorProto: string[] }).fileDescriptorProto;
  return files.map((file) => fromBinary(FileDescriptorProtoSchema, Buffer.from(file, 'base64')).name);
}

describe('answerReflectionRequest', () => {
  it('lists the served services and echoes host and request', () => {
    const request = encode({ host: 'localhost', listServices: '*' });
    expect(ask(request)).toEqual({
      validHost: 'localhost',
      originalRequest: { host: 'localhost', listServices: '*' },
      listServicesResponse: { service: [{ name: 'flywheel.ingestion.v1.IngestionService' }, { name: 'grpc.health.v1.Health' }] },
    });
  });

  it('answers a symbol with its file and the files it imports', () => {
    const names = fileNames(ask(encode({ fileContainingSymbol: 'flywheel.ingestion.v1.IngestionService' })));
    expect(names[0]).toBe('flywheel/ingestion/v1/ingestion.proto');
    expect(names).toEqual(expect.arrayContaining(['flywheel/common/v1/common.proto', 'google/protobuf/descriptor.proto']));
  });

  it('answers a file by name', () => {
    expect(fileNames(ask(encode({ fileByFilename: 'flywheel/common/v1/common.proto' })))).toEqual([
      'flywheel/common/v1/common.proto',
      'google/protobuf/timestamp.proto',
    ]);
  });

  it('answers the custom method option by extension and lists the extension numbers of its type', () => {
    const byExtension = ask(
      encode({ fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 50001 } }),
    );
    expect(fileNames(byExtension)[0]).toBe('flywheel/common/v1/options.proto');
    expect(ask(encode({ allExtensionNumbersOfType: 'google.protobuf.MethodOptions' })).allExtensionNumbersResponse).toEqual({
      baseTypeName: 'google.protobuf.MethodOptions',
      extensionNumber: [50001],
    });
  });

  it.each([
    [{ fileContainingSymbol: 'flywheel.ingestion.v1.Nope' }, 'symbol not found: flywheel.ingestion.v1.Nope'],
    [{ fileByFilename: 'etc/passwd' }, 'file not found: etc/passwd'],
    [
      { fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 7 } },
      'extension 7 of type not found: google.protobuf.MethodOptions',
    ],
    [{ allExtensionNumbersOfType: 'flywheel.common.v1.Nope' }, 'type not found: flywheel.common.v1.Nope'],
  ])('answers NOT_FOUND for %j', (request, message) => {
    expect(ask(encode(request)).errorResponse).toEqual({ errorCode: 5, errorMessage: message });
  });

  it('answers NOT_FOUND to a huge name without decoding or echoing it', () => {
    const huge = 'a.'.repeat(500_000);
    const response = ask(encode({ fileContainingSymbol: huge }));
    expect(response.originalRequest).toBeUndefined();
    expect(response.errorResponse).toEqual({
      errorCode: 5,
      errorMessage: `symbol not found: the name is ${huge.length} bytes long, more than ${MAX_REFLECTION_NAME_LENGTH}`,
    });
  });

  it.each([
    ['no question', new Uint8Array(), 'the request asks nothing'],
    ['bytes that are no message', Uint8Array.from([0x22, 0x05, 0x61]), 'not a valid ServerReflectionRequest'],
    ['a name that is not UTF-8', Uint8Array.from([0x22, 0x02, 0xc3, 0x28]), 'not a valid ServerReflectionRequest'],
  ])('answers INVALID_ARGUMENT to %s', (_what, request, message) => {
    const { errorResponse } = ask(request) as { errorResponse: { errorCode: number; errorMessage: string } };
    expect(errorResponse.errorCode).toBe(3);
    expect(errorResponse.errorMessage).toContain(message);
  });
});
