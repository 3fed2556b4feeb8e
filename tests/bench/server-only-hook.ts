/**
 * `server-only` throws outside Next's server build; Next resolves it to an empty module there,
 * and so does this. Load it before any server module: `tsx --import ./tests/bench/server-only-hook.ts`,
 * or import it dynamically first and the server modules after it.
 */
import { register } from 'node:module';

const hook = `export async function resolve(s, c, next) { return s === 'server-only' ? { url: 'data:text/javascript,', shortCircuit: true } : next(s, c); }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
