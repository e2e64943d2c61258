// Typed facade over the native compression kernels: validates every argument, then calls the
// addon with the caller's typed arrays (no copies). Errors are TwinforgeErrors with the
// native code (BAD_INPUT names the argument in details.argument); ...Async variants take
// {signal, onProgress} and reject with CANCELLED when aborted.
export { loadAddon, nativeInfo, setIsa, setThreads, addonAvailable } from './addon';
export type { NativeAddon, NativeInfo } from './addon';
export { runNativeJob, callNative, fromNative } from './jobs';
export type { NativeAsyncOptions, NativeProgress, NativeJobHandle } from './jobs';
export * from './magnitude';
export * from './nm';
export * from './structured';
export * from './quant';
export * from './sparse-formats';
export * from './sp24';
export * from './solvers';
export * from './measure';
export * from './cuda';
