// The serving benchmark's baseline: a bare grpc-js server, in its own process as a service is,
// that decodes each request of the methods measured (as a service must) and answers with the
// bytes of an answer Flywheel gave to such a request — the same messages on the wire, with
// nothing done between them. Its methods come as JSON in BENCH_ECHO_METHODS; prints its port.
import { Server, ServerCredentials, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { deployerV1, featureStoreV1, inferenceV2 } from '@flywheel/contracts';
import { FLOW_CONTROL_WINDOW_OPTION, GRPC_FLOW_CONTROL_WINDOW_BYTES } from '@flywheel/platform';

export interface EchoMethod {
  /** `/package.Service/Method`. */
  path: string;
  streaming: boolean;
  request: keyof typeof DECODERS;
  /** The answer, base64. */
  answer: string;
}

const DECODERS = {
  PredictRequest: (bytes: Buffer) => deployerV1.PredictRequest.decode(bytes),
  PredictStreamRequest: (bytes: Buffer) => deployerV1.PredictStreamRequest.decode(bytes),
  GetOnlineFeaturesRequest: (bytes: Buffer) => featureStoreV1.GetOnlineFeaturesRequest.decode(bytes),
  ModelInferRequest: (bytes: Buffer) => inferenceV2.ModelInferRequest.decode(bytes),
};

const methods = JSON.parse(process.env.BENCH_ECHO_METHODS ?? '[]') as EchoMethod[];
// The services' flow-control window, so that the baseline's transport is theirs.
const server = new Server({ [FLOW_CONTROL_WINDOW_OPTION]: GRPC_FLOW_CONTROL_WINDOW_BYTES });
for (const method of methods) {
  const answer = Buffer.from(method.answer, 'base64');
  const serialize = (bytes: Buffer) => bytes;
  const deserialize = DECODERS[method.request];
  if (method.streaming) {
    server.register(
      method.path,
      (stream: ServerDuplexStream<unknown, Buffer>) => {
        stream.on('data', () => stream.write(answer));
        stream.on('end', () => stream.end());
      },
      serialize,
      deserialize,
      'bidi',
    );
  } else {
    server.register(
      method.path,
      (_call: ServerUnaryCall<unknown, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, answer),
      serialize,
      deserialize,
      'unary',
    );
  }
}
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
