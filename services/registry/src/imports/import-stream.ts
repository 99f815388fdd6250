import { IMPORT_CHUNK_BYTES, type registryV1 } from '@flywheel/contracts';
import { invalidArgument } from '@flywheel/platform';
import { type Observable } from 'rxjs';

export interface ImportLimits {
  /** Largest ONNX file accepted. */
  readonly maxOnnxBytes: number;
  /** Largest holdout CSV accepted. */
  readonly maxHoldoutBytes: number;
}

/** An import as received: the header and the two files, complete and within the limits. */
export interface ReceivedImport {
  readonly header: registryV1.ImportModelVersionHeader;
  readonly onnx: Buffer;
  readonly holdout: Buffer;
}

/**
 * Reads an ImportModelVersion stream: the header first and once, then pieces of the two files.
 * The declared sizes are checked against the limits before any piece is kept and against what
 * arrived at the end, and a stream that sends more than it declared (or than the limits) is
 * refused at the piece that crosses, so a hostile client cannot make the registry hold more.
 */
export function receiveImport(requests: Observable<registryV1.ImportModelVersionRequest>, limits: ImportLimits): Promise<ReceivedImport> {
  return new Promise((resolve, reject) => {
    let header: registryV1.ImportModelVersionHeader | undefined;
    const onnx: Buffer[] = [];
    const holdout: Buffer[] = [];
    let onnxBytes = 0;
    let holdoutBytes = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      subscription.unsubscribe();
      reject(error);
    };
    const subscription = requests.subscribe({
      next: (message) => {
        if (failed) return;
        try {
          if (message.header) {
            if (header) throw invalidArgument('header', 'must be sent once, in the first message');
            header = checkDeclaredSizes(message.header, limits);
            return;
          }
          if (!header) throw invalidArgument('header', 'must come first, before any piece of a file');
          const piece = message.onnxChunk ?? message.holdoutChunk;
          if (!piece) throw invalidArgument('part', 'a message carries the header, an onnx_chunk or a holdout_chunk');
          if (piece.length > IMPORT_CHUNK_BYTES)
            throw invalidArgument(message.onnxChunk ? 'onnx_chunk' : 'holdout_chunk', `a piece is at most ${IMPORT_CHUNK_BYTES} bytes`);
          if (message.onnxChunk) {
            onnxBytes += piece.length;
            if (onnxBytes > header.onnxSizeBytes)
              throw invalidArgument('onnx_chunk', `more than the ${header.onnxSizeBytes} bytes onnx_size_bytes declared`);
            onnx.push(Buffer.from(piece));
          } else {
            holdoutBytes += piece.length;
            if (holdoutBytes > header.holdoutSizeBytes)
              throw invalidArgument('holdout_chunk', `more than the ${header.holdoutSizeBytes} bytes holdout_size_bytes declared`);
            holdout.push(Buffer.from(piece));
          }
        } catch (error) {
          fail(error as Error);
        }
      },
      error: (error: Error) => fail(error),
      complete: () => {
        if (failed) return;
        if (!header) return fail(invalidArgument('header', 'is required'));
        if (onnxBytes !== header.onnxSizeBytes)
          return fail(invalidArgument('onnx_chunk', `the file ended after ${onnxBytes} of the ${header.onnxSizeBytes} bytes declared`));
        if (holdoutBytes !== header.holdoutSizeBytes)
          return fail(
            invalidArgument('holdout_chunk', `the holdout ended after ${holdoutBytes} of the ${header.holdoutSizeBytes} bytes declared`),
          );
        resolve({ header, onnx: Buffer.concat(onnx), holdout: Buffer.concat(holdout) });
      },
    });
  });
}

function checkDeclaredSizes(header: registryV1.ImportModelVersionHeader, limits: ImportLimits): registryV1.ImportModelVersionHeader {
  if (header.onnxSizeBytes <= 0) throw invalidArgument('header.onnx_size_bytes', 'must be the size of the ONNX file, > 0');
  if (header.onnxSizeBytes > limits.maxOnnxBytes)
    throw invalidArgument(
      'header.onnx_size_bytes',
      `the file is ${header.onnxSizeBytes} bytes, over MODEL_IMPORT_MAX_BYTES (${limits.maxOnnxBytes})`,
    );
  if (header.holdoutSizeBytes <= 0)
    throw invalidArgument('header.holdout_size_bytes', 'a holdout CSV is required: the version is scored and judged on it');
  if (header.holdoutSizeBytes > limits.maxHoldoutBytes)
    throw invalidArgument(
      'header.holdout_size_bytes',
      `the holdout is ${header.holdoutSizeBytes} bytes, over MODEL_IMPORT_HOLDOUT_MAX_BYTES (${limits.maxHoldoutBytes})`,
    );
  return header;
}
