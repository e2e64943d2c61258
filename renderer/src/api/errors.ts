// The one error type the renderer sees from any call: the contract's envelope, kept intact.
import type { ErrorCode, ErrorEnvelope } from '../../../preload/contract';

/** Codes the client adds on its side: the engine could not be reached at all. */
export type ClientErrorCode = ErrorCode | 'OFFLINE';

export class ApiError extends Error {
  readonly code: ClientErrorCode;
  readonly hint?: string;
  readonly details?: unknown;
  /** The contract call that failed (for the error panel and logs). */
  readonly call?: string;

  constructor(code: ClientErrorCode, message: string, hint?: string, details?: unknown, call?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.hint = hint;
    this.details = details;
    this.call = call;
  }

  static fromEnvelope(env: ErrorEnvelope, call?: string): ApiError {
    return new ApiError(env.code, env.message, env.hint, env.details, call);
  }
}

/** Anything thrown, as an ApiError (renderer bugs become INTERNAL with their message). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('INTERNAL', message, 'This is a bug in the Twinforge window; reload, and report it if it comes back.');
}

/** True for errors that mean "this engine feature has not landed yet". */
export function isNotAvailable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.code === 'NOT_IMPLEMENTED') return true;
  // A call the host does not know yet (older engine): BAD_INPUT "Unknown call 'x'".
  return err.code === 'BAD_INPUT' && /^Unknown call/.test(err.message);
}
