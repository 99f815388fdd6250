import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { OnnxImportError, OnnxModel, OnnxRuntime } from '@flywheel/onnx';
import { InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { ArtifactRejectedError } from './artifact-rejected.error';

/**
 * Loads ONNX graphs into the serving module's one ONNX runtime: a child process (onnxruntime-node
 * loads once per process and its calls are synchronous, so never on the serving thread). The
 * process starts with the first graph loaded, so a deployer serving no ONNX model runs none, and
 * is stopped when the module is destroyed. Each loaded version holds one session of it.
 */
@Injectable()
export class OnnxGraphs implements OnModuleDestroy {
  private readonly runtime: OnnxRuntime;
  private closing = false;

  constructor(@InjectConfig() config: DeployerConfig) {
    // The process holds each graph's bytes and every batch's tensors: the artifact thread's heap bounds it too.
    this.runtime = new OnnxRuntime({ maxHeapMb: config.MODEL_ARTIFACT_WORKER_HEAP_MB, timeoutMs: config.ONNX_RUNTIME_TIMEOUT_MS });
  }

  /**
   * A stored graph (it describes itself: the registry wrote its description into it at import)
   * as a model with a session of its own. One the import's checks refuse, or onnxruntime refuses
   * or cannot load in time, is rejected for good (ArtifactRejectedError).
   */
  async load(bytes: Uint8Array): Promise<OnnxModel> {
    try {
      return await OnnxModel.load(this.runtime, bytes);
    } catch (error) {
      if (error instanceof OnnxImportError) throw rejected(error);
      if (this.closing) throw error;
    }
    // A stopped runtime fails every call waiting on it, whichever call's fault it was: a second
    // try, on a runtime started afresh, tells whether this graph is at fault.
    try {
      return await OnnxModel.load(this.runtime, bytes);
    } catch (error) {
      // Shutting down is no verdict on the graph.
      if (this.closing && !(error instanceof OnnxImportError)) throw error;
      throw rejected(error);
    }
  }

  onModuleDestroy(): Promise<void> {
    this.closing = true;
    return this.runtime.close();
  }
}

function rejected(error: unknown): ArtifactRejectedError {
  return new ArtifactRejectedError(`ONNX graph: ${error instanceof Error ? error.message : String(error)}`);
}
