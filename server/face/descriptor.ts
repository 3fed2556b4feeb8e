/** Face descriptors as stored: Float32, little-endian (compared with ./similarity.ts). */

export function descriptorToBlob(d: Float32Array): Buffer {
  const out = Buffer.alloc(d.length * 4);
  d.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

export function blobToDescriptor(b: Uint8Array): Float32Array {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(Math.floor(buf.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
