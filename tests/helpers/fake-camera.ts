/**
 * Pictures for Chromium's fake camera (`--use-file-for-fake-video-capture`): a .y4m made with
 * Debian's ffmpeg from still JPEGs, each shown for a while, with a little temporal noise so that
 * consecutive frames differ as a webcam's do. Chromium loops the file.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `name` keys the cached file (with the recipe): stills made with random noise need not make a new one each run. */
/** Bumped when the ffmpeg recipe changes. */
const RECIPE = 1;

export function fakeCameraFile(name: string, stills: Buffer[], { secondsEach = 3, fps = 10, width = 640, height = 480 } = {}): string {
  const key = `${name.replace(/[^a-z0-9-]/gi, '_')}-${createHash('sha256')
    .update(JSON.stringify({ RECIPE, stills: stills.length, secondsEach, fps, width, height }))
    .digest('hex')
    .slice(0, 12)}`;
  const dir = path.join(os.tmpdir(), 'fake-camera');
  const out = path.join(dir, `${key}.y4m`);
  if (fs.existsSync(out)) return out;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-camera-'));
  try {
    stills.forEach((b, i) => fs.writeFileSync(path.join(work, `still-${String(i).padStart(3, '0')}.jpg`), b));
    const args = [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-framerate', `1/${secondsEach}`, '-i', path.join(work, 'still-%03d.jpg')],
      ...[
        '-vf',
        `fps=${fps},scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,noise=alls=4:allf=t,format=yuv420p`,
      ],
      ...['-t', String(secondsEach * stills.length), '-f', 'yuv4mpegpipe', path.join(work, 'out.y4m')],
    ];
    const res = spawnSync('ffmpeg', args, { encoding: 'utf8' });
    if (res.error) throw new Error(`cannot run ffmpeg (Debian package ffmpeg): ${res.error.message}`);
    if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr.trim()}`);
    fs.mkdirSync(dir, { recursive: true });
    // Renamed into place whole: two test files asking for the same picture never read half of it.
    fs.renameSync(path.join(work, 'out.y4m'), out);
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
