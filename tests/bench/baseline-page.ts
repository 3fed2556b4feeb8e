import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const UMD = path.join(import.meta.dirname, '..', '..', 'node_modules', 'livekit-client', 'dist', 'livekit-client.umd.js');

/**
 * What the grid is compared with: a LiveKit conferencing client that joins hidden with
 * `autoSubscribe: true` and renders every video track it receives, one tile per candidate (the PC
 * and the phone grouped by their shared identity), laid out in `cols` columns like the grid.
 * - `plain`: adaptive stream and dynacast off, default (HIGH) quality: the plain way.
 * - `adaptive`: LiveKit's adaptive stream (layers by element size, hidden ones paused) and
 *   dynacast: what a LiveKit user gets for free.
 * Tiles use the grid's test ids so one measurement fits all pages.
 */
const PAGE = String.raw`<!doctype html>
<html><head><meta charset="utf-8"><title>baseline subscriber</title>
<style>
  body { margin: 0; background: #0f172a; color: #e2e8f0; font: 12px sans-serif; }
  #grid { display: grid; gap: 8px; padding: 8px; }
  .tile { position: relative; aspect-ratio: 16 / 9; background: #020617; overflow: hidden; }
  .tile video[data-testid="tile-screen"] { width: 100%; height: 100%; object-fit: contain; }
  .tile video[data-testid="tile-camera"] { position: absolute; right: 4px; bottom: 4px; width: 25%; }
  .tile video[data-testid="tile-witness"] { position: absolute; left: 4px; bottom: 4px; width: 25%; }
</style>
<script src="/livekit-client.umd.js"></script>
</head><body>
<div id="status" data-state="connecting">connecting</div>
<div id="grid"></div>
<script>
  const params = new URLSearchParams(location.hash.slice(1));
  const adaptive = params.get('mode') === 'adaptive';
  document.getElementById('grid').style.gridTemplateColumns = 'repeat(' + Number(params.get('cols') || 6) + ', 1fr)';
  const { Room, RoomEvent, Track } = LivekitClient;
  const room = new Room({ adaptiveStream: adaptive, dynacast: adaptive });
  const status = document.getElementById('status');
  // A candidate's PC and phone identities differ only in their last part (cand-<id>-pc / -phone).
  const person = (p) => p.identity.replace(/-(pc|phone)$/, '');
  const tiles = new Map();
  function tileFor(p) {
    const key = person(p);
    let el = tiles.get(key);
    if (!el) {
      el = document.createElement('div');
      el.className = 'tile';
      el.setAttribute('data-testid', 'tile-' + (tiles.size + 1));
      document.getElementById('grid').append(el);
      tiles.set(key, el);
    }
    return el;
  }
  const roleOf = (track, p) => (p.identity.endsWith('-phone') ? 'witness' : track.source === Track.Source.ScreenShare ? 'screen' : 'camera');
  room.on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    if (track.kind !== Track.Kind.Video) return;
    const el = track.attach();
    el.muted = true;
    el.setAttribute('data-testid', 'tile-' + roleOf(track, p));
    tileFor(p).append(el);
  });
  room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()));
  room
    .connect(params.get('url'), params.get('token'), { autoSubscribe: true })
    .then(() => { status.textContent = 'connected'; status.dataset.state = 'connected'; })
    .catch((err) => { status.textContent = 'error: ' + err.message; status.dataset.state = 'error'; });
  window.addEventListener('pagehide', () => room.disconnect());
</script>
</body></html>`;

export type BaselineMode = 'plain' | 'adaptive';

/** Serves the page and the livekit-client UMD bundle on 127.0.0.1, on a free port. */
export async function serveBaselinePage() {
  const server = http.createServer((req, res) => {
    if (req.url === '/livekit-client.umd.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      fs.createReadStream(UMD).pipe(res);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (sfuUrl: string, token: string, mode: BaselineMode, cols: number) =>
      `http://127.0.0.1:${port}/#${new URLSearchParams({ url: sfuUrl, token, mode, cols: String(cols) })}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
