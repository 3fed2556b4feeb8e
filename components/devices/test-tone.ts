/** Three rising beeps, about 1.2 s in all: short, unmistakable, and not a sound a room makes by itself. */
const BEEPS = [660, 880, 1100];
const BEEP_S = 0.28;
const GAP_S = 0.14;

/**
 * Plays the speaker test sound, made with WebAudio (no file to load). Resolves when it has played;
 * where the browser keeps the audio context suspended, when it would have, so the page never waits.
 * Call it from a click: browsers allow sound only after a user gesture.
 */
export async function playTestTone(): Promise<void> {
  const ctx = new AudioContext();
  await ctx.resume().catch(() => {});
  const start = ctx.currentTime + 0.05;
  const total = BEEPS.length * (BEEP_S + GAP_S);
  BEEPS.forEach((frequency, i) => {
    const at = start + i * (BEEP_S + GAP_S);
    const osc = new OscillatorNode(ctx, { type: 'sine', frequency });
    const gain = new GainNode(ctx, { gain: 0 });
    // A few milliseconds of ramp at each end: a hard start or stop clicks in the speakers.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.35, at + 0.015);
    gain.gain.setValueAtTime(0.35, at + BEEP_S - 0.03);
    gain.gain.linearRampToValueAtTime(0, at + BEEP_S);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + BEEP_S);
  });
  await new Promise((resolve) => setTimeout(resolve, (total + 0.1) * 1000));
  await ctx.close().catch(() => {});
}
