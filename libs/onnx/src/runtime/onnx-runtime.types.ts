/** A tensor as it crosses to and from the runtime's thread: plain data the structured clone copies or moves. */
export type TensorData =
  | { readonly type: 'float32'; readonly data: Float32Array; readonly dims: readonly number[] }
  | { readonly type: 'float64'; readonly data: Float64Array; readonly dims: readonly number[] }
  | { readonly type: 'int64'; readonly data: BigInt64Array; readonly dims: readonly number[] }
  | { readonly type: 'int32'; readonly data: Int32Array; readonly dims: readonly number[] }
  | { readonly type: 'bool'; readonly data: Uint8Array; readonly dims: readonly number[] }
  | { readonly type: 'string'; readonly data: readonly string[]; readonly dims: readonly number[] };

export type TensorType = TensorData['type'];

/** What the runtime's thread is asked to do. */
export type RuntimeRequest =
  | { readonly kind: 'load'; readonly session: number; readonly bytes: Uint8Array }
  | {
      readonly kind: 'run';
      readonly session: number;
      readonly feeds: Readonly<Record<string, TensorData>>;
    }
  | { readonly kind: 'release'; readonly session: number };

export type RuntimeReply =
  | { readonly kind: 'loaded'; readonly inputNames: readonly string[]; readonly outputNames: readonly string[] }
  | { readonly kind: 'ran'; readonly outputs: Readonly<Record<string, TensorData>> }
  | { readonly kind: 'released' };

/** A request to the runtime's process, and its answer, matched by id. */
export interface RuntimeMessage<T> {
  readonly id: number;
  readonly body: T;
}

export type RuntimeAnswer<T> =
  { readonly id: number; readonly ok: true; readonly result: T } | { readonly id: number; readonly ok: false; readonly message: string };
