/**
 * Typed errors. `code` drives behaviour (HTTP status, exit code) and `hint` tells the user what to do.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  /** the request clashes with work in progress (another job writing the same dataset) */
  | 'CONFLICT'
  | 'UNSUPPORTED_OUTPUT'
  | 'MODEL_LOAD_FAILED'
  | 'DEVICE_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'OVERLOADED'
  | 'CANCELLED'
  /** the SQLite file is damaged (distillery store check / recover) */
  | 'STORE_DAMAGED'
  | 'INTERNAL';

export class DistilleryError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DistilleryError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  /** One line for a terminal: message plus what to do. */
  toLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export const isDistilleryError = (e: unknown): e is DistilleryError => e instanceof DistilleryError;
