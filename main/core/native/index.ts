// Typed facade over the native compression kernels: validates every argument, then calls the
// addon with the caller's typed arrays (no copies). Kernels land here group by group.
export { loadAddon, nativeInfo, setIsa, setThreads, addonAvailable } from './addon';
export type { NativeAddon, NativeInfo } from './addon';
