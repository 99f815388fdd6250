import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, protoRoot } from '@flywheel/contracts';
import { rolesOfContract, SERVICE_CONTRACTS } from '../auth/roles-readme';
import { markUndecodableRequests, UndecodableRequest, useRequestDecoders, useResponseEncoders } from './message-codecs';

interface Method {
  readonly path: string;
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly requestType: { readonly type: { readonly name: string } };
}

// Field 1 = "a", then a field key without its value: no request message decodes it.
const GARBAGE = Buffer.from([0x0a, 0x01, 0x61, 0x0f]);

describe('requests that cannot be decoded, for every service', () => {
  it.each(Object.entries(SERVICE_CONTRACTS))(
    '%s: every method marks them, decodes the rest, and has a role to check first',
    (_name, contract) => {
      const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
      const methods = Object.values(definition[`${contract.packageName}.${contract.serviceName}`] as unknown as Record<string, Method>);
      expect(methods.length).toBeGreaterThan(0);
      for (const method of methods) expect(() => method.requestDeserialize(GARBAGE)).toThrow();

      markUndecodableRequests(definition as unknown as Record<string, unknown>, [contract.packageName]);
      const roles = rolesOfContract(contract);
      for (const method of methods) {
        const marked = method.requestDeserialize(GARBAGE);
        expect(marked).toBeInstanceOf(UndecodableRequest);
        expect((marked as UndecodableRequest).toException().message).toMatch(
          new RegExp(`^\\(request\\): is not a valid ${method.requestType.type.name} message: \\S`),
        );
        expect(method.requestDeserialize(Buffer.alloc(0))).not.toBeInstanceOf(UndecodableRequest);
        // The interceptor asks who may call a path before it answers for the bytes.
        expect(roles.roleOfPath(method.path)).toBeDefined();
      }
    },
  );

  it('leaves the services of other packages as they are', () => {
    const contract = SERVICE_CONTRACTS.registry;
    const definition = loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    markUndecodableRequests(definition as unknown as Record<string, unknown>, ['flywheel.other.v1']);
    const methods = Object.values(definition[`${contract.packageName}.${contract.serviceName}`] as unknown as Record<string, Method>);
    expect(() => methods[0].requestDeserialize(GARBAGE)).toThrow();
  });
});

describe('request decoders of a service', () => {
  const contract = SERVICE_CONTRACTS.ingestion;
  const load = () => loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const methodsOf = (definition: ReturnType<typeof load>) =>
    definition[`${contract.packageName}.${contract.serviceName}`] as unknown as Record<string, Method>;
  const ingestPath = `/${contract.packageName}.${contract.serviceName}/Ingest`;

  it('replace the named methods’ deserializers, and what they throw is marked like any undecodable request', () => {
    const definition = load();
    const seen: Buffer[] = [];
    useRequestDecoders(definition as unknown as Record<string, unknown>, {
      [ingestPath]: (bytes) => {
        if (bytes.length > 3) throw new Error('too long for this decoder');
        seen.push(bytes);
        return { raw: bytes };
      },
    });
    markUndecodableRequests(definition as unknown as Record<string, unknown>, [contract.packageName]);
    const methods = Object.values(methodsOf(definition));
    const ingest = methods.find((m) => m.path === ingestPath)!;
    expect(ingest.requestDeserialize(Buffer.from([1, 2]))).toEqual({ raw: Buffer.from([1, 2]) });
    expect(seen).toHaveLength(1);
    const marked = ingest.requestDeserialize(GARBAGE) as UndecodableRequest;
    expect(marked.toException().message).toBe('(request): is not a valid IngestRequest message: too long for this decoder');
    // The other methods keep proto-loader's.
    const other = methods.find((m) => m.path !== ingestPath)!;
    expect(other.requestDeserialize(Buffer.alloc(0))).not.toHaveProperty('raw');
  });

  it('refuse a path the service does not have', () => {
    expect(() =>
      useRequestDecoders(load() as unknown as Record<string, unknown>, { '/flywheel.ingestion.v1.Nope/Ingest': () => ({}) }),
    ).toThrow('request decoders for methods the service does not have: /flywheel.ingestion.v1.Nope/Ingest');
  });
});

describe('response encoders of a service', () => {
  const contract = SERVICE_CONTRACTS['feature-store'];
  const load = () =>
    loadSync(join(protoRoot(), contract.protoPath), { ...GRPC_LOADER_OPTIONS, includeDirs: [protoRoot()] }) as unknown as Record<
      string,
      unknown
    >;
  const methodsOf = (definition: Record<string, unknown>) =>
    Object.values(
      definition[`${contract.packageName}.${contract.serviceName}`] as Record<
        string,
        { path: string; responseSerialize: (m: unknown) => Buffer }
      >,
    );
  const onlinePath = `/${contract.packageName}.${contract.serviceName}/GetOnlineFeatures`;

  it('replace the named methods’ serializers and leave the others proto-loader’s', () => {
    const definition = load();
    const proto = methodsOf(definition).find((m) => m.path !== onlinePath)!.responseSerialize;
    useResponseEncoders(definition, { [onlinePath]: (message: { tag: number }) => Buffer.from([message.tag]) });
    const methods = methodsOf(definition);
    expect(methods.find((m) => m.path === onlinePath)!.responseSerialize({ tag: 7 })).toEqual(Buffer.from([7]));
    expect(methods.find((m) => m.path !== onlinePath)!.responseSerialize).toBe(proto);
  });

  it('refuse a path the service does not have', () => {
    expect(() => useResponseEncoders(load(), { '/flywheel.featurestore.v1.Nope/Get': () => Buffer.alloc(0) })).toThrow(
      'response encoders for methods the service does not have: /flywheel.featurestore.v1.Nope/Get',
    );
  });
});
