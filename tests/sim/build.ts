/** `npm run sim:build`: the simulator's fleet binary and clips, so a run starts without building. */
import { ensureClips } from './clips';
import { ensureSimBinary } from './fleet';

console.log(ensureSimBinary());
console.log(ensureClips());
