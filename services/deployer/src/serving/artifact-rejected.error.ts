/**
 * An artifact the deployer will never serve, however often it is tried: larger than
 * MODEL_ARTIFACT_MAX_BYTES, not a valid artifact, over the artifact limits, or fatal to the
 * thread that parsed it (its heap limit). A failure to fetch it is not one of these.
 */
export class ArtifactRejectedError extends Error {
  constructor(reason: string) {
    super(`artifact rejected: ${reason}`);
    this.name = 'ArtifactRejectedError';
  }
}
