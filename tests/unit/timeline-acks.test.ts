import { describe, expect, it } from 'vitest';
import { ackStates } from '@/components/grid/timeline-acks';
import { getBus } from '@/server/events/bus';
import { timelineItems } from '@/server/services/invigilate';
import { acknowledge, sendSystemMessage } from '@/server/services/messages';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asStaff } from '../helpers/unit-support';

const fx = useTestDb();
const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 8, 0, s));

describe('focus timeline: awaiting acknowledgement', () => {
  it('only messages sent as must-acknowledge wait; an acknowledged one shows its time', () => {
    const { acks, pending } = ackStates([
      { kind: 'message', type: 'sent', at: at(1), messageId: 1, mustAcknowledge: false },
      { kind: 'message', type: 'sent', at: at(2), messageId: 2, mustAcknowledge: true },
      { kind: 'message', type: 'sent', at: at(3), messageId: 3, mustAcknowledge: true },
      { kind: 'message', type: 'acknowledged', at: at(4), messageId: 3 },
      { kind: 'event', type: 'participant_joined', at: at(5) },
    ]);
    expect(acks.has(1)).toBe(false);
    expect(acks.get(2)).toBeNull();
    expect(acks.get(3)).toEqual(at(4));
    expect(pending).toBe(true);
    expect(ackStates([{ kind: 'message', type: 'sent', at: at(1), messageId: 1, mustAcknowledge: false }]).pending).toBe(false);
  });

  it("an invigilator's timeline marks which sent messages need an acknowledgement", async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    const send = (mustAcknowledge: boolean) =>
      sendSystemMessage({
        db: fx.db,
        bus: getBus(),
        caller: asStaff(invigilator),
        input: { audience: 'candidate', roomId: room.id, candidateId: cand.id, title: '提示', body: '请调整摄像头', priority: 'normal', mustAcknowledge },
      }).messageId;
    const plain = send(false);
    const needsAck = send(true);
    const items = timelineItems({ db: fx.db, roomId: room.id, candidateId: cand.id, limit: 50 });
    expect(items.find((i) => i.messageId === plain && i.type === 'sent')?.mustAcknowledge).toBe(false);
    expect(items.find((i) => i.messageId === needsAck && i.type === 'sent')?.mustAcknowledge).toBe(true);
    expect([...ackStates(items).acks.keys()]).toEqual([needsAck]);

    acknowledge({ db: fx.db, candidateId: cand.id, messageId: needsAck });
    const after = ackStates(timelineItems({ db: fx.db, roomId: room.id, candidateId: cand.id, limit: 50 }));
    expect(after.pending).toBe(false);
    expect(after.acks.get(needsAck)).toBeInstanceOf(Date);
  });
});
