import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';

const FILE_DESCRIPTOR_SET_FILE = 1;

interface IndexedFile {
  /** The FileDescriptorProto exactly as compiled: re-encoding would drop custom options we do not model. */
  readonly bytes: Uint8Array;
  readonly dependencies: readonly string[];
}

/**
 * What server reflection answers from: the files of one or more serialized FileDescriptorSets,
 * looked up by file name, by the full name of anything they declare, and by extension.
 */
export class ReflectionIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly symbols = new Map<string, string>();
  private readonly messages = new Set<string>();
  private readonly services = new Set<string>();
  /** Extended message → extension number → file declaring the extension. */
  private readonly extensions = new Map<string, Map<number, string>>();
  private readonly closures = new Map<string, Uint8Array[]>();

  /** The first set to declare a file name wins: later sets may repeat the imports they share. */
  constructor(descriptorSets: Iterable<Uint8Array>) {
    for (const set of descriptorSets) {
      for (const bytes of serializedFiles(set)) this.add(bytes);
    }
  }

  hasService(fullName: string): boolean {
    return this.services.has(fullName);
  }

  /** The file and every file it imports, transitively, the requested one first; undefined if unknown. */
  fileByName(name: string): Uint8Array[] | undefined {
    if (!this.files.has(name)) return undefined;
    let closure = this.closures.get(name);
    if (!closure) {
      closure = this.dependencyClosure(name);
      this.closures.set(name, closure);
    }
    return closure;
  }

  /** Like fileByName, for the file declaring a package, message, field, enum, value, service, method or extension. */
  fileContainingSymbol(fullName: string): Uint8Array[] | undefined {
    const file = this.symbols.get(stripLeadingDot(fullName));
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** Like fileByName, for the file declaring extension `number` of message `extendee`. */
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined {
    const file = this.extensions.get(stripLeadingDot(extendee))?.get(number);
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** Extension numbers declared for a message, ascending; undefined if no such message. */
  extensionNumbers(extendee: string): number[] | undefined {
    const name = stripLeadingDot(extendee);
    if (!this.messages.has(name)) return undefined;
    return [...(this.extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  private add(bytes: Uint8Array): void {
    const file = fromBinary(FileDescriptorProtoSchema, bytes);
    if (this.files.has(file.name)) return;
    this.files.set(file.name, { bytes, dependencies: file.dependency });
    const scope = file.package;
    // Like protoc, a package is a symbol of every file that declares it; the first one answers.
    const packageParts = scope === '' ? [] : scope.split('.');
    for (let depth = 1; depth <= packageParts.length; depth++) this.symbol(packageParts.slice(0, depth).join('.'), file.name);
    for (const message of file.messageType) this.addMessage(message, scope, file.name);
    for (const enumType of file.enumType) this.addEnum(enumType, scope, file.name);
    for (const extension of file.extension) this.addExtension(extension, scope, file.name);
    for (const service of file.service) {
      const serviceName = qualify(scope, service.name);
      this.symbol(serviceName, file.name);
      this.services.add(serviceName);
      for (const method of service.method) this.symbol(`${serviceName}.${method.name}`, file.name);
    }
  }

  private addMessage(message: DescriptorProto, scope: string, file: string): void {
    const name = qualify(scope, message.name);
    this.symbol(name, file);
    this.messages.add(name);
    for (const field of message.field) this.symbol(`${name}.${field.name}`, file);
    for (const oneof of message.oneofDecl) this.symbol(`${name}.${oneof.name}`, file);
    for (const nested of message.nestedType) this.addMessage(nested, name, file);
    for (const enumType of message.enumType) this.addEnum(enumType, name, file);
    for (const extension of message.extension) this.addExtension(extension, name, file);
  }

  // Enum values are scoped beside their enum, not inside it (C++ scoping, as protoc resolves them).
  private addEnum(enumType: EnumDescriptorProto, scope: string, file: string): void {
    this.symbol(qualify(scope, enumType.name), file);
    for (const value of enumType.value) this.symbol(qualify(scope, value.name), file);
  }

  private addExtension(extension: FieldDescriptorProto, scope: string, file: string): void {
    this.symbol(qualify(scope, extension.name), file);
    const extendee = stripLeadingDot(extension.extendee);
    let numbers = this.extensions.get(extendee);
    if (!numbers) {
      numbers = new Map();
      this.extensions.set(extendee, numbers);
    }
    if (!numbers.has(extension.number)) numbers.set(extension.number, file);
  }

  private symbol(fullName: string, file: string): void {
    if (!this.symbols.has(fullName)) this.symbols.set(fullName, file);
  }

  private dependencyClosure(name: string): Uint8Array[] {
    const seen = new Set([name]);
    const queue = [name];
    const closure: Uint8Array[] = [];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const file = this.files.get(next);
      // A dependency missing from every set stays out: the client reports what it cannot resolve.
      if (!file) continue;
      closure.push(file.bytes);
      for (const dependency of file.dependencies) {
        if (!seen.has(dependency)) {
          seen.add(dependency);
          queue.push(dependency);
        }
      }
    }
    return closure;
  }
}

/** The FileDescriptorProto messages of a FileDescriptorSet, each as its own bytes. */
function serializedFiles(set: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(set);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === FILE_DESCRIPTOR_SET_FILE && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType, fieldNo);
  }
  return files;
}

function qualify(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}

function stripLeadingDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name;
}
