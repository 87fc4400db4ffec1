import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/provision/pacing.js';
import { backoffDelay, classifyError, withRetry } from '../../src/provision/retry.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
const err = (name: string, status?: number, extra: object = {}) => Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

describe('pacing', () => {
  it('paces each API at its AWS rate, independently', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(clock);
    for (let i = 0; i < 30; i++) await clock.run(pacer.take('CreateKeysAndCertificate'));
    expect(clock.now()).toBeGreaterThanOrEqual(2_800); // 10 TPS
    expect(clock.now()).toBeLessThanOrEqual(3_000);
    const t0 = clock.now();
    for (let i = 0; i < 30; i++) await clock.run(pacer.take('CreateThing'));
    expect(clock.now() - t0).toBeLessThanOrEqual(2_000); // 15 TPS
    const off = new VirtualClock();
    const none = new Pacer(off, false);
    for (let i = 0; i < 30; i++) await off.run(none.take('CreateThing'));
    expect(off.now()).toBe(0);
  });
});

describe('retry', () => {
  it('classifies AWS errors the way the SDK reports them', () => {
    expect(classifyError(err('ThrottlingException', 400))).toBe('throttled');
    expect(classifyError(err('LimitExceededException', 410))).toBe('throttled');
    expect(classifyError(err('ServiceUnavailableException', 503))).toBe('server');
    expect(classifyError(err('SomethingNew', 502))).toBe('server');
    expect(classifyError(err('Error', undefined, { code: 'ECONNRESET' }))).toBe('network');
    expect(classifyError(err('TimeoutError'))).toBe('network');
    expect(classifyError(err('ResourceNotFoundException', 404))).toBe('not-found');
    expect(classifyError(err('DeleteConflictException', 409))).toBe('conflict');
    expect(classifyError(Object.assign(err('InvalidRequestException', 400), { message: 'Cannot delete. Thing thing_0 is still attached to one or more principals' }))).toBe('conflict');
    expect(classifyError(err('InvalidRequestException', 400))).toBe('other');
    expect(classifyError(err('AccessDeniedException', 403))).toBe('denied');
    expect(classifyError(err('UnauthorizedException', 401))).toBe('denied');
    expect(classifyError(err('InvalidSignatureException', 403))).toBe('credentials');
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelay(0, 100, 5000, () => 0.999)).toBeLessThan(100);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(400);
    expect(backoffDelay(20, 100, 5000, () => 0.5)).toBe(2500);
  });

  it('retries transient errors up to the limit, conflicts only when asked and until the deadline', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const flaky = async () => {
      if (++n < 4) throw err('ThrottlingException', 400);
      return 'ok';
    };
    expect(await clock.run(withRetry(flaky, { clock, random: () => 1 }))).toBe('ok');
    expect(n).toBe(4);
    n = 0;
    await expect(clock.run(withRetry(async () => {
      n++;
      throw err('InternalFailureException', 500);
    }, { clock, maxAttempts: 3 }))).rejects.toThrow('InternalFailureException');
    expect(n).toBe(3);
    n = 0;
    const conflict = async () => {
      n++;
      throw err('DeleteConflictException', 409);
    };
    await expect(clock.run(withRetry(conflict, { clock }))).rejects.toThrow('DeleteConflict');
    expect(n).toBe(1);
    n = 0;
    const start = clock.now();
    await expect(clock.run(withRetry(conflict, { clock, conflictDeadlineMs: 60_000 }))).rejects.toThrow('DeleteConflict');
    expect(n).toBeGreaterThan(5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(60_000);
    await expect(clock.run(withRetry(async () => { throw err('ResourceNotFoundException', 404); }, { clock }))).rejects.toThrow('ResourceNotFound');
  });
});
