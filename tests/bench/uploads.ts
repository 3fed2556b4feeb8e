/**
 * `tsx tests/bench/uploads.ts`: how fast a recording backlog drains on loopback.
 *
 * Serves the real chunk upload endpoint (server/http/recordings-upload.ts, the handler
 * behind app/api/uploads) over HTTP on 127.0.0.1 with a throwaway database and data folder,
 * logs a candidate in, starts a recording and uploads BENCH_CHUNKS chunks of BENCH_CHUNK_BYTES
 * with tus-js-client (Node build), BENCH_PARALLEL at a time, the way the browser's queue does.
 * Every chunk is verified by the server (size + sha-256) and filed in the ledger; the run checks
 * the ledger is complete and the stored bytes hash as sent. The client runs in the same process
 * as the server, so the rate is a floor. The last line of stdout is one JSON object.
 *
 * Environment: BENCH_CHUNKS (100), BENCH_CHUNK_BYTES (1048576), BENCH_PARALLEL (1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { openDb } from '@/db/client';
import { recordingChunks } from '@/db/schema';
import { chunkBytes, callerAs, recordingScenario, serveHandler, sha256Hex, uploadWithTusClient } from '../helpers/tus';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 100);
const CHUNK_BYTES = Number(process.env.BENCH_CHUNK_BYTES ?? 1024 * 1024);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 1);

async function main() {
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-uploads-'));
  const db = openDb(path.join(dbDir, 'bench.db'));
  const s = await recordingScenario(db, { candidates: 1, maxChunkBytes: Math.max(CHUNK_BYTES, 16 * 1024 * 1024) });
  const server = await serveHandler(s.handler);
  try {
    const [candidate] = s.candidates;
    const cookie = await s.candidateCookie(candidate!);
    const recordingId = await s.start(candidate!, 'screen');
    // Content prepared up front: the clock measures the transfer, not the test data.
    const chunks = Array.from({ length: CHUNKS }, (_, seq) => chunkBytes(CHUNK_BYTES, seq + 1));
    const hashes = chunks.map(sha256Hex);

    let next = 0;
    const latencies: number[] = [];
    const worker = async () => {
      for (let seq = next++; seq < CHUNKS; seq = next++) {
        const t0 = performance.now();
        const done = await uploadWithTusClient({
          endpoint: `${server.origin}/api/uploads`,
          bytes: chunks[seq]!,
          metadata: { recordingId: String(recordingId), seq: String(seq), sha256: hashes[seq]!, offsetMs: String(seq * 4000) },
          cookie,
        });
        if (done.chunk !== 'stored') throw new Error(`chunk ${seq}: ${done.chunk}`);
        latencies.push(performance.now() - t0);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const seconds = (performance.now() - started) / 1000;

    const ledger = await callerAs(db, candidate!).recordings.finish({ recordingId, chunks: CHUNKS, endedAt: new Date() });
    const rows = db.select().from(recordingChunks).where(eq(recordingChunks.recordingId, recordingId)).orderBy(recordingChunks.seq).all();
    const intact = rows.length === CHUNKS && rows.every((r) => r.sha256 === hashes[r.seq]);
    latencies.sort((a, b) => a - b);
    const mb = (CHUNKS * CHUNK_BYTES) / 1e6;
    const result = {
      bench: 'uploads',
      chunks: CHUNKS,
      chunkBytes: CHUNK_BYTES,
      parallel: PARALLEL,
      seconds: Number(seconds.toFixed(3)),
      mbPerSecond: Number((mb / seconds).toFixed(1)),
      mibPerSecond: Number(((CHUNKS * CHUNK_BYTES) / 1048576 / seconds).toFixed(1)),
      chunkMs: { p50: Math.round(latencies[Math.floor(latencies.length / 2)]!), p95: Math.round(latencies[Math.floor(latencies.length * 0.95)]!) },
      ledgerComplete: ledger.complete && ledger.gaps.length === 0,
      bytesIntact: intact,
    };
    console.log(JSON.stringify(result));
    if (!result.ledgerComplete || !intact) process.exitCode = 1;
  } finally {
    await server.close();
    await s.cleanup();
    db.$client.close();
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
