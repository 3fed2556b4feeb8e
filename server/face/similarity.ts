/**
 * Cosine similarity of two face descriptors, -1..1 (1: the same direction): the one comparison of
 * the server (face login) and the exam page (identity drift), so one threshold means the same on
 * both. Descriptors of different lengths (another model) are not comparable: -1.
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
