/**
 * The simulated candidates' own process, driven by `ProcessFleet` over IPC. Kept apart from the
 * driver so encoding forty candidates cannot starve the browser being measured (or the other
 * way round), and so its CPU shows on its own line.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dispose } from '@livekit/rtc-node';
import { CandidateFleet, type FleetRequest, type FleetReply, type PublishProfile } from './fleet';

// The driver may be gone (stopping, or dead): a reply nobody reads is dropped, not an error.
const send = (msg: FleetReply) => {
  if (process.connected) process.send?.(msg, undefined, undefined, () => {});
};

let fleet: CandidateFleet | null = null;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let boosted = false;

async function handle(msg: FleetRequest): Promise<FleetReply> {
  switch (msg.type) {
    case 'init':
      fleet = new CandidateFleet(msg.url, async () => '', msg.profile as PublishProfile);
      return { type: 'ok', seq: msg.seq };
    case 'join': {
      const timing = await fleet!.joinWithToken(msg.candidateId, msg.token);
      if (!boosted) {
        // The SDK's threads exist now, so only this (JavaScript) thread is raised: it paces every
        // candidate's frames and must not queue behind their encoders, one thread per track. A
        // fleet short of CPU then drops frames in the encoders, as an overloaded PC does, instead
        // of capturing fewer. On Linux a thread's nice value only weighs it against the threads
        // of its own session (autogroup), so this takes nothing from other work on the machine.
        boosted = true;
        for (const nice of [-20, -10, -5]) {
          try {
            os.setPriority(nice);
            break;
          } catch {
            // not permitted: try a milder one, or pace frames less evenly
          }
        }
      }
      return { type: 'joined', seq: msg.seq, timing };
    }
    case 'leave':
      await fleet!.leave(msg.candidateId);
      return { type: 'ok', seq: msg.seq };
    case 'frames': {
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      const loopDelayMs = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
      loop.reset();
      return { type: 'frames', seq: msg.seq, frames: { ...(await fleet!.framesSent()), loopDelayMs } };
    }
    case 'stop':
      await fleet?.stop();
      return { type: 'ok', seq: msg.seq };
  }
}

process.on('message', (msg: FleetRequest) => {
  handle(msg).then(send, (err: unknown) => send({ type: 'error', seq: msg.seq, message: err instanceof Error ? err.message : String(err) }));
});

// The driver went away (finished, crashed or killed): leave the room and exit rather than linger.
process.on('disconnect', () => {
  void (fleet?.stop() ?? Promise.resolve()).then(() => dispose()).finally(() => process.exit(0));
});
