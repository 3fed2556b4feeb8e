import {
  Room,
  RoomEvent,
  LocalVideoTrack,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  type RemoteTrackPublication,
} from '@livekit/rtc-node';

/**
 * A headless candidate: joins with a real token and publishes synthetic video with moving
 * content through the real SFU, the way a candidate's browser would. Used by tests and by the
 * load benchmarks, where forty browsers would not fit on the machine.
 */
export type SimulatedTrack = { source: 'camera' | 'screen_share'; width: number; height: number; fps: number };

export class SimulatedCandidate {
  readonly room = new Room();
  private timers: NodeJS.Timeout[] = [];

  async connect(url: string, token: string, { autoSubscribe = false } = {}) {
    await this.room.connect(url, token, { autoSubscribe, dynacast: true });
    return this;
  }

  /** Publishes a track whose picture changes every frame (a moving bar), with simulcast. */
  async publish(track: SimulatedTrack) {
    const source = new VideoSource(track.width, track.height);
    const local = LocalVideoTrack.createVideoTrack(track.source, source);
    const options = new TrackPublishOptions({
      source: track.source === 'camera' ? TrackSource.SOURCE_CAMERA : TrackSource.SOURCE_SCREENSHARE,
      simulcast: true,
    });
    const publication = await this.room.localParticipant!.publishTrack(local, options);
    const data = new Uint8Array(track.width * track.height * 4);
    let n = 0;
    const timer = setInterval(() => {
      paintFrame(data, track.width, track.height, n++);
      source.captureFrame(new VideoFrame(data, track.width, track.height, VideoBufferType.RGBA));
    }, 1000 / track.fps);
    this.timers.push(timer);
    return publication;
  }

  /** Remote publications of others, as this participant's grants let it see them. */
  remotePublications(): RemoteTrackPublication[] {
    return [...this.room.remoteParticipants.values()].flatMap((p) => [...p.trackPublications.values()]);
  }

  onTrackSubscribed(cb: () => void) {
    this.room.on(RoomEvent.TrackSubscribed, cb);
  }

  async disconnect() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.room.disconnect();
  }
}

function paintFrame(data: Uint8Array, width: number, height: number, n: number) {
  const bar = (n * 8) % width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const onBar = Math.abs(x - bar) < 16;
      data[i] = onBar ? 255 : (x + n) & 0xff;
      data[i + 1] = onBar ? 255 : (y * 2) & 0xff;
      data[i + 2] = onBar ? 255 : 96;
      data[i + 3] = 255;
    }
  }
}
