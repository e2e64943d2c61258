// Errors are data: a stable code (the error contract), a message naming the problem,
// and a hint naming the fix. They cross process and transport boundaries as plain objects.

// The codes and the envelope are the API contract's (preload/contract.ts), defined once there.
import { ERROR_CODES, type ErrorCode, type ErrorEnvelope } from '../../preload/contract';

export type { ErrorCode, ErrorEnvelope };
export const ErrorCodes = ERROR_CODES;

export class TwinforgeError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, hint?: string, details?: unknown) {
    super(message);
    this.name = 'TwinforgeError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  toJSON(): ErrorEnvelope {
    const out: ErrorEnvelope = { code: this.code, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** Shorthand for the most common error: the caller gave something wrong. */
export function badInput(message: string, hint?: string, details?: unknown): TwinforgeError {
  return new TwinforgeError('BAD_INPUT', message, hint, details);
}

/** Turns anything thrown into an envelope; unknown errors become INTERNAL with their message kept. */
export function toEnvelope(err: unknown): ErrorEnvelope {
  if (err instanceof TwinforgeError) return err.toJSON();
  if (isEnvelope(err)) return err;
  const e = err as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  // Errors from the native addon and worker processes arrive as plain objects or Errors with a code.
  if (e && typeof e.code === 'string' && (ErrorCodes as readonly string[]).includes(e.code)) {
    return { code: e.code as ErrorCode, message: String(e.message ?? e.code), ...(typeof e.hint === 'string' ? { hint: e.hint } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message, hint: 'This is a bug in Twinforge; please report it with the log.' };
}

/** Rebuilds a throwable error from an envelope (after it crossed a process or the network). */
export function fromEnvelope(env: ErrorEnvelope): TwinforgeError {
  return new TwinforgeError(env.code, env.message, env.hint, env.details);
}

export function isEnvelope(x: unknown): x is ErrorEnvelope {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o.code === 'string' && (ErrorCodes as readonly string[]).includes(o.code) && typeof o.message === 'string';
}

/** CLI exit status for an error: 2 bad input, 3 gate failed, 130 cancelled, 1 anything else. */
export function exitCodeFor(err: unknown): number {
  const { code } = toEnvelope(err);
  if (code === 'BAD_INPUT' || code === 'NOT_FOUND' || code === 'UNSUPPORTED' || code === 'CORRUPT_MODEL' || code === 'FORBIDDEN') return 2;
  if (code === 'GATE_FAILED') return 3;
  if (code === 'CANCELLED') return 130;
  return 1;
}
