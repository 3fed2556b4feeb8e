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

  /** Feeds the policy a run of failed tries, each lasting the given ms; returns the delays it chose. */
  function run(lasted: number[]) {
    const policy = examReconnectPolicy();
    let elapsedMs = 0;
    return lasted.map((ms, retryCount) => {
      elapsedMs += ms;
      const delay = policy.nextRetryDelayInMs({ retryCount, elapsedMs })!;
      elapsedMs += delay;
      return delay;
    });
  }

  it('tries again at once when a try fails fast after tries that heard nothing: the network is back', () => {
    // Lost, three tries time out (5 s each), then one is refused within a second (the SFU dropped
    // the participant meanwhile): the full rejoin comes at once, not after another 0.5-1.5 s.
    const d = run([100, 5000, 5000, 5000, 900, 40]);
    expect(d[3]).toBeGreaterThanOrEqual(500);
    expect(d[4]).toBeLessThan(200);
    // Only the first fast failure: a second one in a row is the ordinary pace again.
    expect(d[5]).toBeGreaterThanOrEqual(500);
  });

  it('keeps its pace when every try fails fast (an SFU that is down refuses at once)', () => {
    const d = run(Array.from({ length: 12 }, () => 30));
    for (const x of d.slice(3)) expect(x).toBeGreaterThanOrEqual(500);
  });

  it('knows alternatives from the minted token', () => {
    expect(hasAlternatives({ url: 'ws://a' })).toBe(false);
    expect(hasAlternatives({ url: 'ws://a', urls: ['ws://a'] })).toBe(false);
    expect(hasAlternatives({ url: 'ws://a', urls: ['ws://a', 'ws://b'] })).toBe(true);
  });
});
