// A worker for worker-thread.spec.ts whose loading never ends, as one with a loop at the top
// level of a module it loads.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
