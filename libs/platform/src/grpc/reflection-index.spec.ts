import { fileDescriptorSet } from '@flywheel/contracts';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import { ReflectionIndex } from './reflection-index';

const INGESTION = 'flywheel/ingestion/v1/ingestion.proto';
const COMMON = 'flywheel/common/v1/common.proto';
const OPTIONS = 'flywheel/common/v1/options.proto';

function names(files: Uint8Array[] | undefined): string[] | undefined {
  return files?.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function decoded(files: Uint8Array[] | undefined, name: string): FileDescriptorProto {
  const file = files?.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes)).find((candidate) => candidate.name === name);
  if (!file) throw new Error(`${name} not in the answer`);
  return file;
}

describe('ReflectionIndex over the contracts descriptor set', () => {
  const index = new ReflectionIndex([fileDescriptorSet()]);

  it('answers a file with its imports, transitively, the requested file first and none twice', () => {
    const files = names(index.fileByName(INGESTION));
    expect(files?.[0]).toBe(INGESTION);
    expect(new Set(files).size).toBe(files?.length);
    expect(files).toEqual(
      expect.arrayContaining([
        COMMON,
        OPTIONS,
        'google/protobuf/descriptor.proto',
        'google/protobuf/timestamp.proto',
        'google/protobuf/duration.proto',
      ]),
    );
    expect(names(index.fileByName('google/protobuf/timestamp.proto'))).toEqual(['google/protobuf/timestamp.proto']);
  });

  it.each([
    ['a service', 'flywheel.ingestion.v1.IngestionService', INGESTION],
    ['a method', 'flywheel.ingestion.v1.IngestionService.GetDataset', INGESTION],
    ['a message', 'flywheel.ingestion.v1.GetDatasetRequest', INGESTION],
    ['a field', 'flywheel.ingestion.v1.GetDatasetRequest.name', INGESTION],
    ['a map entry (nested message)', 'flywheel.common.v1.Row.ValuesEntry', COMMON],
    ['an enum', 'flywheel.common.v1.ColumnType', COMMON],
    ['an enum value, scoped beside its enum', 'flywheel.common.v1.COLUMN_TYPE_UNSPECIFIED', COMMON],
    ['an extension', 'flywheel.common.v1.role', OPTIONS],
    ['a package', 'flywheel.ingestion.v1', INGESTION],
    ['a name with a leading dot', '.flywheel.common.v1.Row', COMMON],
    ['a well-known type', 'google.protobuf.Timestamp', 'google/protobuf/timestamp.proto'],
    ['the health service', 'grpc.health.v1.Health', 'grpc/health/v1/health.proto'],
    ['the reflection service', 'grpc.reflection.v1alpha.ServerReflection', 'grpc/reflection/v1alpha/reflection.proto'],
  ])('finds the file declaring %s', (_what, symbol, file) => {
    expect(names(index.fileContainingSymbol(symbol))?.[0]).toBe(file);
  });

  it('gives what protoc gives: proto field names with json_name, qualified type names, real map entries', () => {
    const common = decoded(index.fileContainingSymbol('flywheel.common.v1.Row'), COMMON);
    const row = common.messageType.find((message) => message.name === 'Row');
    const values = row?.field.find((field) => field.name === 'values');
    expect(values).toMatchObject({
      jsonName: 'values',
      label: FieldDescriptorProto_Label.REPEATED,
      type: FieldDescriptorProto_Type.MESSAGE,
      typeName: '.flywheel.common.v1.Row.ValuesEntry',
    });
    expect(row?.nestedType.find((nested) => nested.name === 'ValuesEntry')?.options?.mapEntry).toBe(true);
    const request = decoded(index.fileByName(INGESTION), INGESTION);
    const field = request.messageType.flatMap((message) => message.field).find((candidate) => candidate.name.includes('_'));
    expect(field?.jsonName).toBe(field?.name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()));
    expect(request.dependency).toEqual(expect.arrayContaining([COMMON, OPTIONS]));
  });

  it('keeps the custom method options the file was compiled with', () => {
    const ingestion = decoded(index.fileByName(INGESTION), INGESTION);
    const getDataset = ingestion.service[0]?.method.find((method) => method.name === 'GetDataset');
    expect(getDataset?.options?.$unknown?.map((field) => field.no)).toContain(50001);
  });

  it('answers extensions of a type by number and lists them', () => {
    expect(names(index.fileContainingExtension('google.protobuf.MethodOptions', 50001))?.[0]).toBe(OPTIONS);
    expect(names(index.fileContainingExtension('.google.protobuf.MethodOptions', 50001))?.[0]).toBe(OPTIONS);
    expect(index.extensionNumbers('google.protobuf.MethodOptions')).toEqual([50001]);
    expect(index.extensionNumbers('flywheel.common.v1.Row')).toEqual([]);
  });

  it.each([
    ['an unknown symbol', () => index.fileContainingSymbol('flywheel.ingestion.v1.NoSuchThing')],
    ['a symbol prefix', () => index.fileContainingSymbol('flywheel.ingestion.v1.Ingestion')],
    ['an unknown file', () => index.fileByName('flywheel/ingestion/v1/nope.proto')],
    ['an unknown extension number', () => index.fileContainingExtension('google.protobuf.MethodOptions', 50002)],
    ['extensions of an unknown type', () => index.extensionNumbers('flywheel.common.v1.Nope')],
    ['a huge name', () => index.fileContainingSymbol('x'.repeat(1_000_000))],
  ])('finds nothing for %s', (_what, lookUp) => {
    expect(lookUp()).toBeUndefined();
  });

  it('keeps the first set’s file when a later set repeats its name', () => {
    const shadow = create(FileDescriptorSetSchema, {
      file: [create(FileDescriptorProtoSchema, { name: COMMON, package: 'shadow.v1', messageType: [{ name: 'Row' }] })],
    });
    const merged = new ReflectionIndex([fileDescriptorSet(), toBinary(FileDescriptorSetSchema, shadow)]);
    expect(merged.fileContainingSymbol('shadow.v1.Row')).toBeUndefined();
    expect(names(merged.fileContainingSymbol('flywheel.common.v1.Row'))?.[0]).toBe(COMMON);
  });

  it('skips a dependency no set holds instead of failing', () => {
    const lonely = create(FileDescriptorSetSchema, {
      file: [create(FileDescriptorProtoSchema, { name: 'lonely.proto', package: 'lonely', dependency: ['missing.proto'] })],
    });
    expect(names(new ReflectionIndex([toBinary(FileDescriptorSetSchema, lonely)]).fileByName('lonely.proto'))).toEqual(['lonely.proto']);
  });
});
