import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FLAG_TYPES, RECORDING_TRACKS } from '@/db/schema';

/*
 * The process's Prometheus metrics, defined once. Served by GET /api/metrics (server/http/ops.ts).
 * Counters and histograms count what happens in this process; the gauges read from the database
 * are set when a scrape comes in.
 */

function createMetrics() {
  const registry = new Registry();
  // Event-loop lag (nodejs_eventloop_lag_*), heap, GC, handles, CPU of this process.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    flagsRaised: new Counter({
      name: 'exam_flags_raised_total',
      help: 'Flags raised on candidates by this process (automatic and by invigilators), by kind; counted once committed.',
      labelNames: ['kind'] as const,
      registers,
    }),
    webhookDelay: new Histogram({
      name: 'exam_livekit_webhook_delay_seconds',
      help: 'Time from LiveKit creating a webhook event to this process storing it. LiveKit stamps events in whole seconds, so values run up to 1 s high.',
      buckets: [0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers,
    }),
    liveStreams: new Gauge({
      name: 'exam_live_streams',
      help: 'Live connections (/api/live server-sent event streams) this process holds open.',
      registers,
    }),
    candidatesConnected: new Gauge({
      name: 'exam_candidates_connected',
      help: "Candidates whose device is connected to the SFU, as LiveKit's webhooks last said, in exams under way; by device (pc, phone).",
      labelNames: ['device'] as const,
      registers,
    }),
    uploadBacklogChunks: new Gauge({
      name: 'exam_upload_backlog_chunks',
      help: 'Recording chunks the ledger knows are missing (below the count the device reported, or below the highest chunk received) in recordings still accepting uploads; by track.',
      labelNames: ['track'] as const,
      registers,
    }),
    uploadBacklogBytes: new Gauge({
      name: 'exam_upload_backlog_bytes',
      help: "Estimated bytes of the missing chunks (each at its recording's mean received chunk size); by track. Chunks still only on the device after the highest one received are not included.",
      labelNames: ['track'] as const,
      registers,
    }),
  };
  // Every series exists from the start (at 0), so rates and alerts see the first increment.
  for (const kind of FLAG_TYPES) metrics.flagsRaised.inc({ kind }, 0);
  for (const track of RECORDING_TRACKS) metrics.uploadBacklogChunks.set({ track }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

const g = globalThis as unknown as { __examMetrics?: Metrics };

/**
 * The process's metrics. One set per process on globalThis: Next bundles this module into each
 * route (and the dev server evaluates it again on every change), and a second registration of
 * a name, or of the default metrics, would throw or count twice.
 */
export function metrics(): Metrics {
  g.__examMetrics ??= createMetrics();
  return g.__examMetrics;
}

export function countFlagRaised(kind: string) {
  metrics().flagsRaised.inc({ kind });
}

/** A webhook event stored now that LiveKit created at `createdAt`. */
export function observeWebhookDelay(createdAt: Date, now = Date.now()) {
  metrics().webhookDelay.observe(Math.max(0, now - createdAt.getTime()) / 1000);
}

/** Counts a live stream as open; the returned function counts it closed (once, however often it is called). */
export function liveStreamOpened(): () => void {
  const gauge = metrics().liveStreams;
  gauge.inc();
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    gauge.dec();
  };
}
