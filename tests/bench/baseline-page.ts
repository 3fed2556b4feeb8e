import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const UMD = path.join(import.meta.dirname, '..', '..', 'node_modules', 'livekit-client', 'dist', 'livekit-client.umd.js');

/**
 * The plain LiveKit conferencing client the grid is compared with: joins hidden with
 * `autoSubscribe: true`, adaptive stream and dynacast off, default (HIGH) quality, and renders
 * every video track it receives. Tiles use the grid's test ids so one measurement fits both.
 */
const PAGE = String.raw`<!doctype html>
<html><head><meta charset="utf-8"><title>baseline subscriber</title>
<style>
  body { margin: 0; background: #0f172a; color: #e2e8f0; font: 12px sans-serif; }
  #grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px; padding: 8px; }
  .tile { position: relative; aspect-ratio: 16 / 9; background: #020617; }
  .tile video[data-testid="tile-screen"] { width: 100%; height: 100%; object-fit: contain; }
  .tile video[data-testid="tile-camera"] { position: absolute; right: 4px; bottom: 4px; width: 25%; }
</style>
<script src="/livekit-client.umd.js"></script>
</head><body>
<div id="status" data-state="connecting">connecting</div>
<div id="grid"></div>
<script>
  const params = new URLSearchParams(location.hash.slice(1));
  const { Room, RoomEvent, Track } = LivekitClient;
  const room = new Room({ adaptiveStream: false, dynacast: false });
  const status = document.getElementById('status');
  function tileFor(p) {
    const id = p.attributes.candidateId || p.identity;
    let el = document.querySelector('[data-testid="tile-' + id + '"]');
    if (!el) {
      el = document.createElement('div');
      el.className = 'tile';
      el.setAttribute('data-testid', 'tile-' + id);
      document.getElementById('grid').append(el);
    }
    return el;
  }
  room.on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    if (track.kind !== Track.Kind.Video) return;
    const el = track.attach();
    el.muted = true;
    el.setAttribute('data-testid', track.source === Track.Source.ScreenShare ? 'tile-screen' : 'tile-camera');
    tileFor(p).append(el);
  });
  room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()));
  room.on(RoomEvent.ParticipantDisconnected, (p) => {
    document.querySelector('[data-testid="tile-' + (p.attributes.candidateId || p.identity) + '"]')?.remove();
  });
  room
    .connect(params.get('url'), params.get('token'), { autoSubscribe: true })
    .then(() => { status.textContent = 'connected'; status.dataset.state = 'connected'; })
    .catch((err) => { status.textContent = 'error: ' + err.message; status.dataset.state = 'error'; });
  window.addEventListener('pagehide', () => room.disconnect());
</script>
</body></html>`;

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
    url: (sfuUrl: string, token: string) => `http://127.0.0.1:${port}/#${new URLSearchParams({ url: sfuUrl, token })}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
