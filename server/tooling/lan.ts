/**
 * `--lan` for `npm run dev|demo`: lets phones on the local network open the app. Phone browsers
 * only give a page the camera in a secure context, so the app is served over HTTPS with a
 * self-signed certificate for the LAN address, by a small proxy in front of the app; LiveKit's
 * signalling (`/rtc…`) goes through the same origin, which also keeps the page on wss.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The HTTPS port phones use: https://<lan-ip>:3443. */
export const LAN_HTTPS_PORT = 3443;

/** The address given, or the machine's first non-loopback IPv4 address. */
export function lanAddress(given?: string): string {
  if (given) {
    if (net.isIPv4(given)) return given;
    throw new Error(`--lan=${given}: not an IPv4 address`);
  }
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('--lan: no LAN IPv4 address found; pass one with --lan=<ip>');
}

/** A self-signed certificate for the address (made once with openssl, kept under .data/tls). */
function certificateFor(ip: string) {
  const dir = path.join(process.cwd(), '.data', 'tls');
  const key = path.join(dir, `${ip}.key.pem`);
  const cert = path.join(dir, `${ip}.cert.pem`);
  if (!fs.existsSync(key) || !fs.existsSync(cert)) {
    fs.mkdirSync(dir, { recursive: true });
    const res = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '365',
        '-subj',
        `/CN=${ip}`,
        '-addext',
        `subjectAltName=IP:${ip},IP:127.0.0.1`,
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (res.error || res.status !== 0) throw new Error('--lan needs openssl to make a self-signed certificate');
  }
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), certFile: cert };
}

export type LanProxy = { url: string; certFile: string; close: () => Promise<void> };

/** LiveKit's signalling and validation paths; everything else is the app. */
const isSfuPath = (url: string | undefined) => !!url && /^\/rtc(\/|\?|$)/.test(url);

export async function startLanProxy({ host, appPort, sfuPort }: { host: string; appPort: number; sfuPort: number }): Promise<LanProxy> {
  const { key, cert, certFile } = certificateFor(host);
  const targetOf = (url: string | undefined) => (isSfuPath(url) ? sfuPort : appPort);
  // The app's per-client throttles key on x-forwarded-for: set from the socket, never passed on
  // from the client. The launcher lists this proxy (loopback) in TRUSTED_PROXIES.
  const forwarded = (req: http.IncomingMessage) => ({
    ...req.headers,
    'x-forwarded-for': req.socket.remoteAddress ?? '',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': req.headers.host ?? host,
  });

  const server = https.createServer({ key, cert }, (req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: targetOf(req.url), method: req.method, path: req.url, headers: forwarded(req) }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });

  // WebSockets (LiveKit signalling, Next's dev reload): replay the request head, then pipe bytes.
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(targetOf(req.url), '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(forwarded(req))) {
        for (const v of Array.isArray(value) ? value : [value]) if (v != null) lines.push(`${name}: ${v}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(LAN_HTTPS_PORT, '0.0.0.0', resolve);
  });
  return {
    url: `https://${host}:${LAN_HTTPS_PORT}`,
    certFile,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
