// The renderer's API module: the only way the app reaches the engine.
export { call, on, onConnection, connectionState, transportKind, nativePicker, uploader, type ConnectionState } from './client';
export { ApiError, asApiError, isNotAvailable, type ClientErrorCode } from './errors';
export type * from '../../../preload/contract';
