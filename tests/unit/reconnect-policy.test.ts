import { describe, expect, it } from 'vitest';
import { examReconnectPolicy, hasAlternatives } from '@/components/live/reconnect';

const delays = (policy: ReturnType<typeof examReconnectPolicy>, elapsedMs: number, tries = 30) =>
  Array.from({ length: tries }, (_, retryCount) => policy.nextRetryDelayInMs({ retryCount, elapsedMs }));

describe('exam reconnect policy', () => {
  it('retries at once, then every 0.5-1.5 s, for 15 minutes with one SFU', () => {
    const policy = examReconnectPolicy();
    expect(policy.nextRetryDelayInMs({ retryCount: 0, elapsedMs: 0 })).toBeLessThan(300);
    for (const d of delays(policy, 60_000).slice(3)) {
      expect(d).toBeGreaterThanOrEqual(500);
      expect(d).toBeLessThanOrEqual(1500);
    }
    // LiveKit's default gave up after ten tries; this one is still trying at 14 minutes.
    expect(delays(policy, 14 * 60_000).every((d) => d !== null)).toBe(true);
    expect(policy.nextRetryDelayInMs({ retryCount: 500, elapsedMs: 15 * 60_000 + 1 })).toBeNull();
  });

  it('gives a lost node up after 20 s when the server named other nodes', () => {
    let others = false;
    const policy = examReconnectPolicy(() => others);
    expect(policy.nextRetryDelayInMs({ retryCount: 5, elapsedMs: 21_000 })).not.toBeNull();
    others = true;
    expect(policy.nextRetryDelayInMs({ retryCount: 5, elapsedMs: 19_000 })).not.toBeNull();
    expect(policy.nextRetryDelayInMs({ retryCount: 5, elapsedMs: 21_000 })).toBeNull();
  });

  it('knows alternatives from the minted token', () => {
    expect(hasAlternatives({ url: 'ws://a' })).toBe(false);
    expect(hasAlternatives({ url: 'ws://a', urls: ['ws://a'] })).toBe(false);
    expect(hasAlternatives({ url: 'ws://a', urls: ['ws://a', 'ws://b'] })).toBe(true);
  });
});
