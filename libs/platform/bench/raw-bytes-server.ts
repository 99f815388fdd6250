// The server of grpc-transport.bench.ts, in a process of its own: a grpc-js server whose `Send`
// takes any bytes and answers 16, and whose `Cpu` answers the CPU time this process has used so
// far (microseconds, as text). BENCH_WINDOW sets grpc-node.flow_control_window; unset, HTTP/2's
// default windows stay. Prints its port.
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { FLOW_CONTROL_WINDOW_OPTION } from '../src/grpc/flow-control';

const bytes = (b: Buffer) => b;
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
});
export const RAW_BYTES_SERVICE = { send: method('/bench.RawBytes/Send'), cpu: method('/bench.RawBytes/Cpu') } as ServiceDefinition;

if (require.main === module) {
  const window = process.env.BENCH_WINDOW ? Number(process.env.BENCH_WINDOW) : undefined;
  const server = new Server({
    'grpc.max_receive_message_length': 64 << 20,
    ...(window !== undefined && { [FLOW_CONTROL_WINDOW_OPTION]: window }),
  });
  const answer = Buffer.alloc(16);
  server.addService(RAW_BYTES_SERVICE, {
    send: (_call: unknown, done: (error: null, reply: Buffer) => void) => done(null, answer),
    cpu: (_call: unknown, done: (error: null, reply: Buffer) => void) => {
      const { user, system } = process.cpuUsage();
      done(null, Buffer.from(String(user + system)));
    },
  });
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    process.stdout.write(`${port}\n`);
  });
  process.on('SIGTERM', () => server.forceShutdown());
}
