/** The tests start Redis the way `npm run dev -- --sfu-nodes 2` does: see server/tooling/redis.ts. */
export { freePort, freeUdpPort, startRedis, type RedisServer } from '@/server/tooling/redis';
