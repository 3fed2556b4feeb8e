import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bindingResponse, startProbeResponder, type ProbeResponder } from '@/server/network-probe';

const MAGIC = 0x2112a442;

/** A STUN Binding request (RFC 8489) with the given transaction id and optional padding attribute bytes. */
function bindingRequest(txid: Buffer, attrs = Buffer.alloc(0)) {
  const msg = Buffer.alloc(20 + attrs.length);
  msg.writeUInt16BE(0x0001, 0);
  msg.writeUInt16BE(attrs.length, 2);
  msg.writeUInt32BE(MAGIC, 4);
  txid.copy(msg, 8);
  attrs.copy(msg, 20);
  return msg;
}

/** The XOR-MAPPED-ADDRESS of a Binding success response, decoded. */
function mapped(res: Buffer) {
  expect(res.readUInt16BE(0)).toBe(0x0101);
  expect(res.readUInt32BE(4)).toBe(MAGIC);
  expect(res.readUInt16BE(20)).toBe(0x0020);
  const port = res.readUInt16BE(26) ^ (MAGIC >>> 16);
  const ip = (res.readUInt32BE(28) ^ MAGIC) >>> 0;
  return { address: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'), port };
}

describe('network probe', () => {
  let responder: ProbeResponder | null = null;
  afterEach(async () => {
    await responder?.close();
    responder = null;
  });

  it('answers a Binding request over UDP with its transaction id and a mapped address that is not the sender', async () => {
    responder = await startProbeResponder({ host: '127.0.0.1', port: 0 });
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    const txid = Buffer.from('0123456789ab');
    const answer = new Promise<Buffer>((resolve) => client.once('message', resolve));
    client.send(bindingRequest(txid), responder.port, '127.0.0.1');
    const res = await answer;
    const { port } = client.address();
    client.close();
    expect(res.subarray(8, 20).equals(txid)).toBe(true);
    // The sender's address with another port: Chromium drops a reflexive candidate equal to its own.
    expect(mapped(res)).toEqual({ address: '127.0.0.1', port: port + 1 });
  });

  it('stays silent for anything but a well-formed Binding request', () => {
    const from = { address: '198.18.1.6', port: 40000 };
    const txid = Buffer.alloc(12, 7);
    const ok = bindingRequest(txid, Buffer.from([0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64]));
    expect(mapped(bindingResponse(ok, from)!)).toEqual({ address: '198.18.1.6', port: 40001 });
    const wrongType = Buffer.from(ok);
    wrongType.writeUInt16BE(0x0101, 0);
    const wrongCookie = Buffer.from(ok);
    wrongCookie.writeUInt32BE(0xdeadbeef, 4);
    const wrongLength = Buffer.from(ok);
    wrongLength.writeUInt16BE(4, 2);
    for (const bad of [wrongType, wrongCookie, wrongLength, ok.subarray(0, 19), Buffer.alloc(600), Buffer.from('GET / HTTP/1.1\r\n\r\n')]) {
      expect(bindingResponse(bad, from)).toBeNull();
    }
    expect(bindingResponse(ok, { address: '::1', port: 1 })).toBeNull();
  });
});
