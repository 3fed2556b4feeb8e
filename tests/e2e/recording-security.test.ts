import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { recordingChunks, recordings } from '@/db/schema';
import { env } from '@/server/env';
import { chunkRelPath } from '@/server/services/recordings-files';
import { makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsStaff } from '../helpers/journeys';

const e2e = useE2eSession();

/**
 * Issue 12, hole 1, in a real browser: a candidate's recording whose stored type says HTML and
 * whose bytes are a page with a script, opened by an invigilator on our origin. The rows are
 * written straight into the database, as a recording stored before the media-type list was.
 */
const MARKER_PATH = '/__recording-xss-marker';
const PAGE = `<!doctype html><html><head><title>recording</title></head><body><script>
document.title = 'pwned';
fetch('${MARKER_PATH}?cookie=' + encodeURIComponent(document.cookie)).catch(() => {});
</script></body></html>`;

function hostileRecording(candidateId: number, examId: number, mimeType: string) {
  const bytes = Buffer.from(PAGE);
  const rec = e2e.db
    .insert(recordings)
    .values({
      candidateId,
      examId,
      track: 'screen',
      clientKey: randomUUID(),
      mimeType,
      startedAt: new Date(),
      expectedChunks: 1,
      receivedChunks: 1,
      receivedBytes: bytes.length,
      completedAt: new Date(),
    })
    .returning()
    .get();
  const rel = chunkRelPath(rec, 0);
  const file = path.join(path.resolve(env.DATA_DIR), rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  e2e.db
    .insert(recordingChunks)
    .values({ recordingId: rec.id, seq: 0, size: bytes.length, sha256: 'a'.repeat(64), offsetMs: 0, path: rel, receivedAt: new Date() })
    .run();
  return { id: rec.id, file };
}

/** Every request the page makes to the marker path. */
function markerHits(page: Page) {
  const hits: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === MARKER_PATH) hits.push(r.url());
  });
  return hits;
}

describe('recording playback in the browser', () => {
  it('invigilator: a recording stored as HTML with a script plays as media only; the script never runs on our origin', async () => {
    const { candidates, exam, invigilator } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
    const page = await e2e.newPage();
    await loginAsStaff(page, invigilator.username!, PASSWORD);
    const hits = markerHits(page);

    // The harness sees the script when the same bytes are served as a page on our origin.
    await page.route('**/__recording-xss-control', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
    await page.goto('/__recording-xss-control');
    await expect.poll(() => page.title()).toBe('pwned');
    await expect.poll(() => hits.length).toBe(1);
    await page.unroute('**/__recording-xss-control');
    hits.length = 0;

    for (const stored of ['video/webm;x=,text/html', 'text/html']) {
      const rec = hostileRecording(candidates[0]!.id, exam.id, stored);
      try {
        const res = await page.goto(`/api/recordings/${rec.id}/file`, { waitUntil: 'load' });
        const headers = res!.headers();
        expect(res!.status()).toBe(200);
        expect(headers['content-type'], stored).toBe('video/webm');
        expect(headers['x-content-type-options']).toBe('nosniff');
        expect(headers['content-security-policy']).toMatch(/^sandbox;/);
        expect(headers['content-disposition']).toBe(`inline; filename*=UTF-8''recording-${rec.id}-screen.webm`);
        // A round trip through the page after its load: a script that ran has set the title by now.
        expect(await page.evaluate(() => document.readyState)).toBe('complete');
        expect(await page.title()).not.toBe('pwned');
        expect(hits).toEqual([]);
      } finally {
        fs.rmSync(rec.file, { force: true });
      }
    }
  }, 120_000);
});
