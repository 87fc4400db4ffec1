import type { Clock } from '../util/clock.js';

/**
 * What kind of failure an AWS SDK error is, by its name, HTTP status and network code
 * (docs/aws-iot-facts.md#errors: the SDK keys errors on `x-amzn-ErrorType`; ThrottlingException is HTTP 400).
 */
export type ErrorKind =
  | 'throttled' // ThrottlingException, LimitExceededException, 429
  | 'server' // 5xx, ServiceUnavailable, InternalFailure
  | 'network' // connection reset/refused, timeouts
  | 'not-found' // ResourceNotFoundException: for a delete, "already gone"
  | 'exists' // ResourceAlreadyExistsException
  | 'conflict' // DeleteConflict, CertificateState, "still attached": eventually consistent after a detach
  | 'denied' // AccessDenied, Unauthorized: missing IAM permission
  | 'credentials' // the credentials themselves were refused
  | 'other';

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);
const CREDENTIAL_ERRORS = new Set(['InvalidSignatureException', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken', 'IncompleteSignature', 'SignatureDoesNotMatch', 'CredentialsProviderError']);

export function classifyError(error: unknown): ErrorKind {
  const e = (error ?? {}) as ErrorLike;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? '';
  if (name === 'ThrottlingException' || name === 'LimitExceededException' || name === 'TooManyRequestsException' || status === 429) return 'throttled';
  if (name === 'ResourceNotFoundException') return 'not-found';
  if (name === 'ResourceAlreadyExistsException') return 'exists';
  if (name === 'AccessDeniedException' || name === 'UnauthorizedException' || name === 'AccessDenied') return 'denied';
  if (CREDENTIAL_ERRORS.has(name)) return 'credentials';
  if (name === 'DeleteConflictException' || name === 'CertificateStateException') return 'conflict';
  if (name === 'InvalidRequestException' && /still attached|attached to one or more|must be detached|must be deactivated/i.test(message)) return 'conflict';
  if (name === 'ServiceUnavailableException' || name === 'InternalFailureException' || name === 'InternalException' || e.$fault === 'server' || (status !== undefined && status >= 500)) return 'server';
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError' || NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(name) || /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT/.test(message)) return 'network';
  if (e.cause && e.cause !== error) {
    const inner = classifyError(e.cause);
    if (inner === 'network') return inner;
  }
  return 'other';
}

/** "Full jitter" exponential backoff: a random delay in [0, min(cap, base·2^attempt)) (attempt from 0). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

export interface RetryOptions {
  clock: Clock;
  random?: () => number;
  /** attempts for throttling, 5xx and network errors (the first call counts) */
  maxAttempts?: number;
  baseMs?: number;
  capMs?: number;
  /** also retry 'conflict' errors (eventual consistency after a detach) until this many ms have passed */
  conflictDeadlineMs?: number;
  /** called before each attempt (e.g. to take a pacing token) */
  beforeAttempt?: () => Promise<void>;
  onRetry?: (info: { attempt: number; kind: ErrorKind; delayMs: number; error: unknown }) => void;
}

export const TRANSIENT: ReadonlySet<ErrorKind> = new Set(['throttled', 'server', 'network']);

/** Runs `fn`, retrying transient failures (and, when asked, eventual-consistency conflicts) with backoff. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const { clock, random = Math.random, maxAttempts = 10, baseMs = 200, capMs = 20_000, conflictDeadlineMs = 0 } = opts;
  const started = clock.now();
  for (let attempt = 0; ; attempt++) {
    await opts.beforeAttempt?.();
    try {
      return await fn();
    } catch (error) {
      const kind = classifyError(error);
      const transient = TRANSIENT.has(kind) && attempt + 1 < maxAttempts;
      const conflict = kind === 'conflict' && clock.now() - started < conflictDeadlineMs;
      if (!transient && !conflict) throw error;
      // conflicts clear within seconds (ELF slept 1 s; AWS allows up to minutes): back off from 500 ms, at most 10 s apart
      const delayMs = kind === 'conflict' ? 250 + backoffDelay(attempt, 500, 10_000, random) : backoffDelay(attempt, baseMs, capMs, random);
      opts.onRetry?.({ attempt, kind, delayMs, error });
      await clock.sleep(delayMs);
    }
  }
}
