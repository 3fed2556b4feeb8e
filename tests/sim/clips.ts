/**
 * The exam-day simulator's media: for each picture a candidate publishes (screen, camera, phone
 * witness), one VP8 clip per simulcast layer, at the sizes, frame rates and bitrates the app's
 * publishers ask for (components/live/publish-layers.ts). Made once with Debian's ffmpeg from
 * moving test content with a running clock, so consecutive frames differ as a live picture's
 * do, and cached under .sim/clips/ by a hash of what they are made from.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PUBLISH_LAYERS, type PublishedPicture } from '@/components/live/publish-layers';

export const SIM_DIR = path.join(import.meta.dirname, '..', '..', '.sim');

/** Seconds of each looped clip; a file cannot answer a keyframe request, so key frames come often. */
const CLIP_SECONDS = 10;
const KEYFRAME_SECONDS = 2;
/** Bumped when the recipe below changes, so cached clips are made again. */
const RECIPE = 1;

export type ClipLayer = { quality: 'low' | 'high'; file: string; width: number; height: number; fps: number; bitrate: number };
export type ClipManifest = Record<PublishedPicture, ClipLayer[]>;

/** What the simulator sends: each picture's layers, lowest first, read from the app's own constants. */
export function clipLayers(): ClipManifest {
  const out = {} as ClipManifest;
  for (const picture of Object.keys(PUBLISH_LAYERS) as PublishedPicture[]) {
    const layers = PUBLISH_LAYERS[picture];
    out[picture] = layers.map((p, i) => ({
      quality: i === layers.length - 1 ? 'high' : 'low',
      file: `${picture}-${p.width}x${p.height}.ivf`,
      width: p.width,
      height: p.height,
      fps: p.encoding.maxFramerate ?? 30,
      bitrate: p.encoding.maxBitrate,
    }));
  }
  return out;
}

function monospaceFont() {
  const res = spawnSync('fc-match', ['-f', '%{file}', 'monospace'], { encoding: 'utf8' });
  return res.status === 0 && res.stdout && fs.existsSync(res.stdout) ? res.stdout : null;
}

function encode(picture: PublishedPicture, l: ClipLayer, out: string) {
  const font = monospaceFont();
  // A label and a clock over moving shapes; without a font, the shapes alone still move.
  const text = font
    ? `,drawtext=fontfile=${font}:text='${picture.toUpperCase()} %{pts\\:hms}':fontsize=${Math.round(l.height / 9)}:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=(h-th)/2`
    : '';
  const gop = Math.max(1, Math.round(l.fps * KEYFRAME_SECONDS));
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${l.width}x${l.height}:rate=${l.fps}${text}`],
    ...['-t', String(CLIP_SECONDS), '-an', '-c:v', 'libvpx'],
    // As a browser's encoder runs: realtime, constant bitrate at the layer's cap, no lookahead.
    ...['-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1'],
    ...['-b:v', String(l.bitrate), '-minrate', String(l.bitrate), '-maxrate', String(l.bitrate), '-bufsize', String(l.bitrate)],
    ...['-g', String(gop), '-keyint_min', String(gop)],
    ...['-f', 'ivf', out],
  ];
  const res = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  if (res.error) throw new Error(`cannot run ffmpeg (Debian package ffmpeg): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`ffmpeg failed for ${path.basename(out)}: ${res.stderr.trim()}`);
}

/** The folder holding clips.json and the clips it names, made now if not cached. */
export function ensureClips({ log = (msg: string) => console.error(msg) }: { log?: (msg: string) => void } = {}) {
  const layers = clipLayers();
  const hash = createHash('sha256').update(JSON.stringify({ RECIPE, CLIP_SECONDS, KEYFRAME_SECONDS, layers })).digest('hex').slice(0, 12);
  const dir = path.join(SIM_DIR, 'clips', hash);
  const manifest = path.join(dir, 'clips.json');
  if (fs.existsSync(manifest)) return dir;
  const started = Date.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  for (const [picture, ls] of Object.entries(layers) as [PublishedPicture, ClipLayer[]][]) {
    for (const l of ls) encode(picture, l, path.join(tmp, l.file));
  }
  fs.writeFileSync(path.join(tmp, 'clips.json'), JSON.stringify(layers, null, 2));
  // Made aside and renamed, so a run killed half-way never leaves a folder that looks complete.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`simulator clips made in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
  return dir;
}
