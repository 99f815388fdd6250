/**
 * What an artifact's bytes are: a Flywheel-trained model is JSON, whose first byte past any
 * whitespace is `{`; anything else is taken for an ONNX graph (a protobuf message, which cannot
 * start so: `{` would be field 15 with the "start group" wire type, which ONNX's ModelProto never
 * writes). Decided by the bytes themselves, not by a file name or content type someone recorded.
 */
export type ArtifactKind = 'flywheel' | 'onnx';

export function artifactKind(bytes: Uint8Array): ArtifactKind {
  for (const byte of bytes) {
    // JSON's whitespace: space, tab, line feed, carriage return.
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b ? 'flywheel' : 'onnx';
  }
  return 'onnx';
}
