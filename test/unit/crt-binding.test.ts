import { describe, expect, it } from 'vitest';
import { fastPublishAvailable, leanConnectionsAvailable } from '../../src/mqtt/crt-binding.js';

describe('crt-binding', () => {
  // elf calls the CRT binding's publish directly (a fifth of its CPU at --interval 0 went to the
  // SDK's wrapper). An aws-crt upgrade that renames the binding would fall back to the SDK silently
  // and slowly: this test is how that is noticed.
  it('finds the binding publish of the aws-crt the device SDK loads', () => {
    expect(fastPublishAvailable).toBe(true);
  });

  it('can make connections without the success and failure callbacks', () => {
    expect(leanConnectionsAvailable).toBe(true);
  });
});
