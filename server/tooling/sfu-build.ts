import { ensureSfuBinary } from '@/server/livekit/sfu';

console.log(ensureSfuBinary());
