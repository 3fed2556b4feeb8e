import dgram from 'node:dgram';

/**
 * The network probe: a STUN responder (RFC 8489 Binding requests only) that candidates' exam pages
 * ask, about twice a second, while their SFU connection is down and the browser believes it is
 * online (a home router lost its uplink behind working Wi-Fi). Its first answer tells the page
 * that packets flow again, well before LiveKit's next signalling try would: that try may still
 * be waiting on a handshake sent during the outage, which the kernel resends 1 s and 3 s after it
 * began. UDP because a browser's TCP paths are no use for this: Chromium keeps the connection
 * attempts of abandoned HTTP requests (six per server, resent ever more rarely) and throttles
 * failed WebSockets, while an ICE gatherer sends fresh STUN requests every few hundred ms.
 *
 * The answer's mapped address is the sender's with the port changed: the probe proves a path,
 * it does not tell the client its public address (and Chromium drops a reflexive candidate equal
 * to its own address, which without NAT it would be).
 */
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAGIC_COOKIE = 0x2112a442;
const XOR_MAPPED_ADDRESS = 0x0020;
/** The largest request answered: a Binding request with the attributes browsers send is < 200 bytes. */
const MAX_REQUEST = 548;

/** The Binding success response to a well-formed Binding request from `from`, or null to stay silent. */
export function bindingResponse(msg: Buffer, from: { address: string; port: number }): Buffer | null {
  if (msg.length < 20 || msg.length > MAX_REQUEST) return null;
  if (msg.readUInt16BE(0) !== BINDING_REQUEST || msg.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  const length = msg.readUInt16BE(2);
  if (length % 4 !== 0 || 20 + length !== msg.length) return null;
  const octets = from.address
    .replace(/^::ffff:/, '')
    .split('.')
    .map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return null;
  const res = Buffer.alloc(32);
  res.writeUInt16BE(BINDING_SUCCESS, 0);
  res.writeUInt16BE(12, 2);
  res.writeUInt32BE(MAGIC_COOKIE, 4);
  msg.copy(res, 8, 8, 20); // the transaction id
  res.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  res.writeUInt16BE(8, 22);
  res.writeUInt16BE(0x0001, 24); // IPv4
  const port = from.port === 65535 ? 1024 : from.port + 1;
  res.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 26);
  res.writeUInt32BE((((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) ^ MAGIC_COOKIE) >>> 0, 28);
  return res;
}

export type ProbeResponder = { port: number; close: () => Promise<void> };

/**
 * Answers Binding requests on `host:port` (IPv4). Several app processes on one machine may all
 * bind it (any one of them answering is enough).
 */
export function startProbeResponder({ host, port }: { host: string; port: number }): Promise<ProbeResponder> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (msg, from) => {
    const res = bindingResponse(msg, from);
    if (res) socket.send(res, from.port, from.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      // A send that fails (the client's network gone again) is no concern of the server's.
      socket.on('error', () => {});
      resolve({ port: socket.address().port, close: () => new Promise<void>((done) => socket.close(() => done())) });
    });
  });
}
