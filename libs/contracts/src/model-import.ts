import { type ImportModelVersionHeader, type ImportModelVersionRequest } from './generated/flywheel/registry/v1/registry';

/** Most bytes of a file one ImportModelVersion message carries. */
export const IMPORT_CHUNK_BYTES = 1024 * 1024;

/**
 * The messages of an ImportModelVersion call: the header (with the files' sizes filled in), then
 * the ONNX file and the holdout CSV in pieces of {@link IMPORT_CHUNK_BYTES}.
 */
export function* importModelVersionRequests(
  header: Omit<ImportModelVersionHeader, 'onnxSizeBytes' | 'holdoutSizeBytes'>,
  onnx: Uint8Array,
  holdout: Uint8Array,
): Generator<ImportModelVersionRequest> {
  yield { header: { ...header, onnxSizeBytes: onnx.length, holdoutSizeBytes: holdout.length } };
  for (let at = 0; at < onnx.length; at += IMPORT_CHUNK_BYTES) yield { onnxChunk: onnx.subarray(at, at + IMPORT_CHUNK_BYTES) };
  for (let at = 0; at < holdout.length; at += IMPORT_CHUNK_BYTES) yield { holdoutChunk: holdout.subarray(at, at + IMPORT_CHUNK_BYTES) };
}
