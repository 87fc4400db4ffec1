import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AttachPolicyCommand,
  AttachPrincipalPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachPrincipalPolicyCommand,
  DetachThingPrincipalCommand,
  InternalFailureException,
  ListAttachedPoliciesCommand,
  ServiceUnavailableException,
  ThrottlingException,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';
import { controlPlaneSnapshot } from '../helpers/reliability.js';

/**
 * Issue 8, item 2 (control-plane half): `elf local --fault-rate 0.2` answers a fifth of the calls
 * with ThrottlingException / 500 / 503. Every mutating operation elf uses is driven through the SDK
 * with one attempt per call; for each faulted call, registry.json (saved before every successful
 * mutating answer) is byte-for-byte what it was before the call: a faulted call changed nothing.
 * (local-control-plane.test.ts covers CreateThing alone at rate 0.5; this extends it to all of them.)
 */

const FAULT_STATUS: Record<string, number> = { ThrottlingException: 400, InternalFailureException: 500, ServiceUnavailableException: 503 };
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

let s: StandInProcess;
let once: IoTClient;
let sturdy: IoTClient;
const faults = new Map<string, Map<string, number>>(); // op → fault name → count
let attempts = 0;

beforeAll(async () => {
  s = await startStandInProcess({ args: ['--fault-rate', '0.2', '--fault-seed', '20240808'] });
  once = s.client({ maxAttempts: 1 });
  sturdy = s.client({ maxAttempts: 40 });
});
afterAll(() => s?.stop());

const registryText = () => readFile(path.join(s.stateDir, 'registry.json'), 'utf8').catch(() => '');

/** Calls `run` until it succeeds; each faulted attempt must leave registry.json exactly as it was. */
async function untilOk<T>(op: string, run: () => Promise<T>): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const before = await registryText();
    attempts++;
    try {
      return await run();
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } };
      const isFault = err instanceof ThrottlingException || err instanceof InternalFailureException || err instanceof ServiceUnavailableException;
      if (!isFault) throw e;
      expect(err.message).toMatch(/Injected fault/);
      expect(err.$metadata?.httpStatusCode).toBe(FAULT_STATUS[err.name]);
      expect(await registryText(), `${op} faulted with ${err.name} but changed the registry`).toBe(before);
      const byOp = faults.get(op) ?? new Map<string, number>();
      byOp.set(err.name, (byOp.get(err.name) ?? 0) + 1);
      faults.set(op, byOp);
    }
  }
  throw new Error(`${op} faulted 50 times in a row`);
}

describe('elf local --fault-rate 0.2', () => {
  it('a faulted call changes nothing, for every mutating operation of the create/clean cycle', async () => {
    const n = 16;
    const made: { name: string; arn: string; id: string }[] = [];
    for (let i = 0; i < n; i++) {
      const name = `f_${i}`;
      const cert = await untilOk('CreateKeysAndCertificate', () => once.send(new CreateKeysAndCertificateCommand({ setAsActive: true })));
      await untilOk('CreateThing', () => once.send(new CreateThingCommand({ thingName: name })));
      await untilOk('CreatePolicy', () => once.send(new CreatePolicyCommand({ policyName: `policy-${name}`, policyDocument: POLICY })));
      await untilOk('AttachPolicy', () => once.send(new AttachPolicyCommand({ policyName: `policy-${name}`, target: cert.certificateArn })));
      await untilOk('CreatePolicy', () => once.send(new CreatePolicyCommand({ policyName: `legacy-${name}`, policyDocument: POLICY })));
      await untilOk('AttachPrincipalPolicy', () => once.send(new AttachPrincipalPolicyCommand({ policyName: `legacy-${name}`, principal: cert.certificateArn })));
      await untilOk('AttachThingPrincipal', () => once.send(new AttachThingPrincipalCommand({ thingName: name, principal: cert.certificateArn })));
      made.push({ name, arn: cert.certificateArn!, id: cert.certificateId! });
    }
    // the fleet is complete and every attachment is in place
    const mid = await controlPlaneSnapshot(sturdy);
    expect(mid.things).toHaveLength(n);
    expect(mid.certificates.every((c) => c.endsWith(':ACTIVE'))).toBe(true);
    expect(mid.policies).toHaveLength(2 * n);
    for (const m of made.slice(0, 3)) {
      const p = await sturdy.send(new ListAttachedPoliciesCommand({ target: m.arn }));
      expect(p.policies?.map((x) => x.policyName).sort()).toEqual([`legacy-${m.name}`, `policy-${m.name}`]);
      expect((await sturdy.send(new DescribeThingCommand({ thingName: m.name }))).thingName).toBe(m.name);
    }

    // the clean order (DESIGN.md): detach policy, delete policy, deactivate, detach thing, delete cert, delete thing
    for (const m of made) {
      await untilOk('DetachPolicy', () => once.send(new DetachPolicyCommand({ policyName: `policy-${m.name}`, target: m.arn })));
      await untilOk('DetachPrincipalPolicy', () => once.send(new DetachPrincipalPolicyCommand({ policyName: `legacy-${m.name}`, principal: m.arn })));
      await untilOk('DeletePolicy', () => once.send(new DeletePolicyCommand({ policyName: `policy-${m.name}` })));
      await untilOk('DeletePolicy', () => once.send(new DeletePolicyCommand({ policyName: `legacy-${m.name}` })));
      await untilOk('UpdateCertificate', () => once.send(new UpdateCertificateCommand({ certificateId: m.id, newStatus: 'INACTIVE' })));
      await untilOk('DetachThingPrincipal', () => once.send(new DetachThingPrincipalCommand({ thingName: m.name, principal: m.arn })));
      await untilOk('DeleteCertificate', () => once.send(new DeleteCertificateCommand({ certificateId: m.id })));
      await untilOk('DeleteThing', () => once.send(new DeleteThingCommand({ thingName: m.name })));
    }
    expect(await controlPlaneSnapshot(sturdy)).toEqual({ things: [], certificates: [], policies: [] });

    const total = [...faults.values()].reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
    const kinds = new Set([...faults.values()].flatMap((m) => [...m.keys()]));
    console.log(`${attempts} calls, ${total} faulted (${((100 * total) / attempts).toFixed(1)}%) across ${faults.size} operations: ${[...kinds].join(', ')}`);
    // 15 × 16 successful calls plus the faulted ones; the share is near the configured 0.2
    expect(total / attempts).toBeGreaterThan(0.1);
    expect(total / attempts).toBeLessThan(0.3);
    expect(kinds).toEqual(new Set(['ThrottlingException', 'InternalFailureException', 'ServiceUnavailableException']));
    // with 300+ calls every operation of the cycle was faulted at least once
    expect(faults.size).toBeGreaterThanOrEqual(10);
  });

  it('under concurrency, exactly the calls that succeeded left something behind', async () => {
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => once.send(new CreateThingCommand({ thingName: `c_${i}` }))));
    const ok = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`c_${i}@1`] : []));
    for (const r of results) if (r.status === 'rejected') expect(Object.keys(FAULT_STATUS)).toContain((r.reason as Error).name);
    expect(ok.length).toBeGreaterThan(30);
    expect(ok.length).toBeLessThan(60);
    expect((await controlPlaneSnapshot(sturdy)).things).toEqual(ok.sort());
    // the SDK's default retries (3 attempts) get almost every call through: ~0.2^3 fail
    const retrying = s.client();
    const second = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => retrying.send(new DeleteThingCommand({ thingName: `c_${i}` }))));
    expect(second.filter((r) => r.status === 'rejected').length).toBeLessThanOrEqual(5);
    expect(s.cli.child.exitCode).toBeNull();
  });
});
