/**
 * `npm run face:report`: how often the server's face matching accepts the wrong person (FAR) and
 * rejects the right one (FRR), on the hand-labelled faces of tests/fixtures/face-pairs.ts, with
 * the server's own engine (server/face/engine.ts, the models FACE_MODELS would run for a login).
 *
 * Two sets of pairs:
 * - idVsWebcam: an ID-photo-like cut of a face against a webcam-like frame (smaller, mirrored,
 *   darker, softer, JPEG 65). For the women of the demo photos that frame is made from the same
 *   shot (so their same-person pairs are easier than real life); for `m1` it is a real webcam
 *   image against a photo.
 * - photoVsPhoto: every labelled face against every other; same-person pairs are different shots
 *   (one man, `m1`, and one pair of `m2`), different-person pairs all the rest.
 * Prints one JSON object: similarity distributions, FAR and FRR at thresholds 0.30..0.90, and
 * a suggested threshold. The set is small: read `size` before the rates.
 */
import os from 'node:os';
import path from 'node:path';

// The engine reads the app's environment at import: keep this run away from the app's data folder.
process.env.DATA_DIR ??= path.join(os.tmpdir(), `face-report-${process.pid}`);
process.env.LIVEKIT_API_SECRET ??= 'face-report-secret-0123456789abcdef0123456789';

const { FaceEngine } = await import('@/server/face/engine');
const { similarity } = await import('@/server/face/similarity');
const { isUnsure, LABELLED_FACES, labelledImage, webcamLikeFrame } = await import('../fixtures/face-pairs');

/** A reference photo is frontal; the demo photos' faces turned further than this are only probes of photoVsPhoto. */
const MAX_REFERENCE_YAW = 20;
const THRESHOLDS = Array.from({ length: 13 }, (_, i) => Math.round((0.3 + i * 0.05) * 100) / 100);

type Described = { id: string; person: string; descriptor: Float32Array | null; faces: number };
type Pair = { a: string; b: string; same: boolean; similarity: number };

const engine = new FaceEngine({ detector: true, mesh: true, description: true, antispoof: false, liveness: false, object: false }, 1);
const round = (x: number) => Math.round(x * 1000) / 1000;
/** The worker's time per image (decode, letterbox, detect, mesh, describe): what a face login costs the server per frame. */
const workerMs: number[] = [];
const log = (...a: unknown[]) => console.error('[face:report]', ...a);

/** The descriptor of the face nearest the image's middle (a cut may show a neighbour's face at its edge). */
async function describe(id: string, person: string, image: Buffer): Promise<Described> {
  const r = await engine.analyze(image);
  workerMs.push(r.ms);
  const centre = (b: readonly number[]) => Math.hypot(b[0]! + b[2]! / 2 - r.width / 2, b[1]! + b[3]! / 2 - r.height / 2);
  const face = [...r.faces].sort((x, y) => centre(x.box) - centre(y.box))[0];
  return { id, person, descriptor: face?.descriptor ?? null, faces: r.faces.length };
}

function pairsOf(refs: Described[], probes: Described[], { skipSameId }: { skipSameId: boolean }): Pair[] {
  const out: Pair[] = [];
  const seen = new Set<string>();
  for (const a of refs)
    for (const b of probes) {
      if (!a.descriptor || !b.descriptor || isUnsure(a.person, b.person)) continue;
      if (skipSameId) {
        const key = [a.id, b.id].sort().join('|');
        if (a.id === b.id || seen.has(key)) continue;
        seen.add(key);
      }
      out.push({ a: a.id, b: b.id, same: a.person === b.person, similarity: round(similarity(a.descriptor, b.descriptor)) });
    }
  return out;
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : null);
function spread(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? null, p5: quantile(s, 0.05), p50: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1) ?? null };
}

/** FAR: different-person pairs at or above the threshold; FRR: same-person pairs below it. */
function rates(pairs: Pair[]) {
  const same = pairs.filter((p) => p.same).map((p) => p.similarity);
  const diff = pairs.filter((p) => !p.same).map((p) => p.similarity);
  const pct = (k: number, n: number) => (n ? Math.round((k / n) * 1000) / 10 : null);
  return THRESHOLDS.map((t) => ({
    threshold: t,
    farPercent: pct(diff.filter((s) => s >= t).length, diff.length),
    frrPercent: pct(same.filter((s) => s < t).length, same.length),
  }));
}

function summary(pairs: Pair[]) {
  const same = pairs.filter((p) => p.same);
  const diff = pairs.filter((p) => !p.same);
  const top = (ps: Pair[], dir: 1 | -1) => [...ps].sort((x, y) => dir * (y.similarity - x.similarity)).slice(0, 3);
  return {
    pairs: { same: same.length, different: diff.length },
    similarity: { same: spread(same.map((p) => p.similarity)), different: spread(diff.map((p) => p.similarity)) },
    rates: rates(pairs),
    mostAlikeDifferent: top(diff, 1),
    leastAlikeSame: top(same, -1),
  };
}

async function main() {
  const t0 = Date.now();
  log(`${LABELLED_FACES.length} labelled faces; describing them with the server engine…`);
  const photos: Described[] = [];
  for (const f of LABELLED_FACES) photos.push(await describe(f.id, f.person, await labelledImage(f)));

  log('webcam-like frames of the frontal photo faces…');
  const frontal = LABELLED_FACES.filter((f) => f.kind === 'photo' && Math.abs(f.yaw) <= MAX_REFERENCE_YAW);
  const webcams: Described[] = [];
  for (const f of frontal) if (f.kind === 'photo') webcams.push(await describe(f.id, f.person, await webcamLikeFrame({ source: f.source, box: f.box })));
  // m1's ID photo is the facematch grid's large selected face; his webcam frame is Human's faceid screenshot.
  const byId = (id: string) => photos.find((p) => p.id === id)!;
  const refs = [...photos.filter((p) => frontal.some((f) => f.id === p.id)), byId('facematch selected')];
  const probes = [...webcams, byId('faceid webcam')];

  const idVsWebcam = pairsOf(refs, probes, { skipSameId: false }).filter((p) => !(p.a === 'facematch selected' && p.b === 'facematch selected'));
  const photoVsPhoto = pairsOf(photos, photos, { skipSameId: true });
  const all = [...idVsWebcam, ...photoVsPhoto];

  // Above the threshold a candidate is let in unseen; below it a person looks. So the wrong
  // person must not pass: the suggestion is the lowest threshold of the grid that no
  // different-person pair of either set reaches.
  const maxDifferent = Math.max(...all.filter((p) => !p.same).map((p) => p.similarity));
  const suggested = THRESHOLDS.find((t) => t > maxDifferent) ?? 1;
  const differentAll = all.filter((p) => !p.same).length;
  const frrAt = (t: number, ps: Pair[]) => {
    const same = ps.filter((p) => p.same);
    return same.length ? Math.round((same.filter((p) => p.similarity < t).length / same.length) * 1000) / 10 : null;
  };

  /** Per image, and what one app process's face worker gets through at that pace (a login sends three frames). */
  const serverCost = () => {
    const sorted = [...workerMs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
    return {
      images: sorted.length,
      msPerImage: { p50: at(0.5), p95: at(0.95), max: sorted.at(-1), mean: Math.round(mean) },
      faceLoginsPerMinutePerProcess: Math.floor(60_000 / (3 * mean)),
    };
  };
  const persons = new Set(LABELLED_FACES.map((f) => f.person));
  const result = {
    size: {
      labelledFaces: LABELLED_FACES.length,
      persons: persons.size,
      personsSeenInMoreThanOneShot: ['m1', 'm2'].filter((p) => persons.has(p)).length,
      faceFound: photos.filter((p) => p.descriptor).length + webcams.filter((p) => p.descriptor).length,
      faceMissed: [...photos, ...webcams].filter((p) => !p.descriptor).map((p) => p.id),
      webcamLikeFrames: webcams.length,
    },
    idVsWebcam: summary(idVsWebcam),
    photoVsPhoto: summary(photoVsPhoto),
    suggestion: {
      loginThreshold: suggested,
      why: `lowest threshold of the grid above the most similar different-person pair (${maxDifferent}); margin ${round(suggested - maxDifferent)}`,
      // No false accept in n pairs still allows a rate up to about 3/n (95 %), if the pairs were independent (they are not: 28 people).
      farUpperBoundPercent: Math.round((3 / differentAll) * 1000) / 10,
      frrPercentAtIt: { idVsWebcam: frrAt(suggested, idVsWebcam), photoVsPhoto: frrAt(suggested, photoVsPhoto) },
    },
    server: serverCost(),
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  console.log(JSON.stringify(result, null, 1));
}

main()
  .catch((err: unknown) => {
    log('failed:', err);
    process.exitCode = 1;
  })
  .finally(() => engine.close());
