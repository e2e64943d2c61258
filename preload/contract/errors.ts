// The error contract: the one list of error codes and how a failed call arrives.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { call } from './args';

/** The one list of error codes (main/core/errors.ts builds TwinforgeError on it). */
export const ERROR_CODES = [
  'BAD_INPUT', // the caller's arguments, flags, recipe or file content are wrong
  'NOT_FOUND', // a named file, model, zoo, job or target does not exist
  'UNSUPPORTED', // valid input Twinforge does not handle (yet): an op, dtype, pattern
  'CORRUPT_MODEL', // a model file that fails format checks (truncated, lengths past the end)
  'NO_DEVICE', // a GPU / driver was asked for and is not there
  'CANCELLED', // the user or a signal stopped the work
  'GATE_FAILED', // a fidelity gate in a recipe failed (CLI exit 3)
  'NOT_IMPLEMENTED', // wired but not built yet
  'UNAUTHORIZED', // web host: missing or wrong token, foreign origin
  'FORBIDDEN', // a write outside the folders the user chose (HTTP 403, CLI exit 2)
  'INTERNAL', // a bug: anything not foreseen
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** How every failed call arrives, whatever the transport. */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
}
