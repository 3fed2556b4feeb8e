/** Face descriptors as stored (Float32, little-endian) and compared. */

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

/**
 * Cosine similarity of two descriptors, -1..1 (1: the same direction). Descriptors of different
 * lengths (another model) are not comparable: -1.
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return -1;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : -1;
}
