import type { TimelineItem } from '@/server/services/invigilate';

type AckInput = Pick<TimelineItem, 'kind' | 'type' | 'at' | 'messageId' | 'mustAcknowledge'>;

/**
 * Which sent messages of a timeline wait for the candidate's acknowledgement, and when each was
 * acknowledged (null: still waiting). Only messages sent as "must acknowledge" are in it: a
 * plain notice is never acknowledged, so it must not read "awaiting acknowledgement" forever.
 */
export function ackStates(items: readonly AckInput[]): { acks: Map<number, Date | null>; pending: boolean } {
  const ackedAt = new Map<number, Date>();
  for (const i of items) if (i.kind === 'message' && i.type === 'acknowledged' && i.messageId != null) ackedAt.set(i.messageId, i.at);
  const acks = new Map<number, Date | null>();
  for (const i of items) {
    if (i.kind !== 'message' || i.type !== 'sent' || i.messageId == null || !i.mustAcknowledge) continue;
    acks.set(i.messageId, ackedAt.get(i.messageId) ?? null);
  }
  return { acks, pending: [...acks.values()].some((at) => at == null) };
}
