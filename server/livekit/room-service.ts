import { RoomServiceClient } from 'livekit-server-sdk';
import { env, livekitNodes } from '../env';
import { staffIdentityPrefix } from './tokens';

/** Takes a participant out of a LiveKit room; resolves whether or not it was there. */
export type RemoveParticipant = (room: string, identity: string) => Promise<void>;

let clients: RoomServiceClient[] | undefined;

/** An SFU that does not answer in 3 s is treated as unreachable. */
const withTimeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref())]);

/**
 * Calls LiveKit's RoomService on the first node that answers. With several nodes any of them
 * serves any room (they share Redis), so a dead node is skipped; a node that answered with an
 * error (no such participant) is the answer.
 */
async function roomService<T>(call: (client: RoomServiceClient) => Promise<T>): Promise<T> {
  clients ??= livekitNodes().map((n) => new RoomServiceClient(n.url.replace(/^ws/, 'http'), env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET));
  let lastError: unknown;
  for (const client of clients) {
    try {
      return await withTimeout(call(client));
    } catch (err) {
      lastError = err;
      // fetch's TypeError: refused, reset, no route. Anything else came from a live node.
      if (!(err instanceof TypeError) && (err as Error).message !== 'timeout') throw err;
    }
  }
  throw lastError;
}

/**
 * A revoked phone must stop publishing now, not when its token runs out: the server removes its
 * participant (LiveKit then tells the page it was removed, and it does not reconnect). A phone
 * not connected, or an SFU that does not answer, is not an error: the revoked session can no
 * longer get a token either way.
 */
export const removeFromRoom: RemoveParticipant = async (room, identity) => {
  try {
    await roomService((c) => c.removeParticipant(room, identity));
  } catch {
    // Not in the room (already gone) or the SFU is unreachable: nothing left to remove.
  }
};

/** Takes a staff member's watching connections (every tab) out of these LiveKit rooms. */
export type RemoveStaff = (rooms: string[], userId: number) => Promise<void>;

/**
 * Staff lose a room (unassigned, no longer chief, archived): the SFU refreshes the tokens of
 * connected participants by itself, so a grid left open would go on receiving video for as long
 * as it stays connected. The app refuses to mint them a new token; this ends the connection.
 */
export const removeStaffFromRooms: RemoveStaff = async (rooms, userId) => {
  const prefix = staffIdentityPrefix(userId);
  await Promise.all(
    rooms.map(async (room) => {
      try {
        const people = await roomService((c) => c.listParticipants(room));
        await Promise.all(people.filter((p) => p.identity.startsWith(prefix)).map((p) => removeFromRoom(room, p.identity)));
      } catch {
        // The room is not open on the SFU, or the SFU is unreachable: nobody to remove.
      }
    }),
  );
};

/** Removes a staff member's connections from the rooms in `before` that are not in `after`; returns them. */
export function dropLostRooms(before: Set<string>, after: Set<string>, userId: number, removeStaff: RemoveStaff = removeStaffFromRooms) {
  const lost = [...before].filter((r) => !after.has(r));
  if (lost.length) void removeStaff(lost, userId).catch(() => {});
  return lost;
}
