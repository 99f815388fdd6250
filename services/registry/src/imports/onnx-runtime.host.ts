import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { OnnxRuntime } from '@flywheel/onnx';

/** Most time loading or scoring one imported graph may take before its runtime is restarted. */
const ONNX_CALL_TIMEOUT_MS = 120_000;

/**
 * The registry's ONNX runtime (a child process, started at the first import or comparison that
 * needs it), stopped with the module.
 */
@Injectable()
export class OnnxRuntimeHost implements OnModuleDestroy {
  readonly runtime = new OnnxRuntime({ timeoutMs: ONNX_CALL_TIMEOUT_MS });

  onModuleDestroy(): Promise<void> {
    return this.runtime.close();
  }
}
