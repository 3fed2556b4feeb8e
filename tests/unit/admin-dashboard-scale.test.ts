import { describe, expect, it } from 'vitest';
import type { Question } from '@/db/schema';
import { examDashboard } from '@/server/services/admin/dashboard';
import { examExport } from '@/server/services/admin/exports';
import { addQuestionSheet, createRoom } from '@/server/services/setup';
import { makeExam } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();

const CANDIDATES = 5000;
const QUESTIONS = 50;

/**
 * An exam day at full size, written with raw bulk inserts (hashing 5,000 passwords would take
 * minutes): 5,000 candidates in 20 rooms, each with a device check, timeline events, and 50
 * answers. Timings are logged for the closing note, not asserted (no wall-clock thresholds).
 */
describe('dashboard and exports at 5,000 candidates', () => {
  it('counts everyone with one query and streams 200,000 answer rows', () => {
    const db = fx.db;
    const now = new Date();
    const exam = makeExam(db, { now, opensIn: -20, closesIn: 60, startsIn: -5, durationMinutes: 90 });
    const rooms = Array.from({ length: 20 }, (_, i) => createRoom({ db, examId: exam.id, name: `第 ${i + 1} 考场` }));
    const questions: Question[] = Array.from({ length: QUESTIONS }, (_, i) => ({
      id: `q${i}`,
      kind: 'single',
      prompt: `题 ${i}`,
      options: ['A', 'B', 'C', 'D'],
      answer: 'A',
      points: 2,
    }));
    addQuestionSheet({ db, examId: exam.id, position: 1, title: '全卷', questions });
    const sqlite = db.$client;
    const user = sqlite.prepare(`insert into users (role, name, id_number, password_hash) values ('candidate', ?, ?, '')`);
    const reg = sqlite.prepare('insert into registrations (exam_id, room_id, candidate_id, seat, entered_at) values (?, ?, ?, ?, ?)');
    const check = sqlite.prepare(
      `insert into device_checks (candidate_id, passed, camera, microphone, peak_level, recorded_ms) values (?, 1, 'c', 'm', 0.5, 3000)`,
    );
    const event = sqlite.prepare(`insert into events (room_id, candidate_id, type, device, occurred_at) values (?, ?, ?, 'pc', ?)`);
    const answer = sqlite.prepare('insert into answers (registration_id, question_id, value, revision, saved_at) values (?, ?, ?, 1, ?)');
    sqlite.transaction(() => {
      for (let i = 0; i < CANDIDATES; i++) {
        const room = rooms[i % rooms.length]!;
        const candidateId = Number(user.run(`考生${i}`, `ID${String(i).padStart(16, '0')}`).lastInsertRowid);
        check.run(candidateId);
        const entered = i % 5 !== 0;
        const regId = Number(reg.run(exam.id, room.id, candidateId, Math.floor(i / rooms.length) + 1, entered ? now.getTime() : null).lastInsertRowid);
        if (!entered) continue;
        for (const type of ['participant_joined', 'track_published', 'track_published', 'track_published', 'integrity.page_hidden'])
          event.run(room.id, candidateId, type, now.getTime());
        if (i % 50 === 1) event.run(room.id, candidateId, 'participant_left', now.getTime());
        for (let q = 0; q < QUESTIONS; q++) answer.run(regId, `q${q}`, JSON.stringify(q % 2 ? 'A' : 'B'), now.getTime());
      }
    })();

    let t = performance.now();
    const d = examDashboard({ db, examId: exam.id, now });
    const dashboardMs = performance.now() - t;
    expect(d.totals.total).toBe(CANDIDATES);
    expect(d.totals.device_ok).toBe(CANDIDATES / 5);
    expect(d.totals.problem).toBe(CANDIDATES / 50);
    expect(d.totals.in_exam).toBe(CANDIDATES - CANDIDATES / 5 - CANDIDATES / 50);
    expect(d.rooms).toHaveLength(20);

    t = performance.now();
    let rows = 0;
    let bytes = 0;
    let largest = 0;
    for (const piece of examExport({ db, examId: exam.id, kind: 'answers', locale: 'zh-CN' }).pieces) {
      rows += piece.split('\r\n').length - 1;
      bytes += piece.length;
      largest = Math.max(largest, piece.length);
    }
    const exportMs = performance.now() - t;
    const entered = CANDIDATES - CANDIDATES / 5;
    // Header + one row per entered candidate and question + a total row each.
    expect(rows).toBe(1 + entered * (QUESTIONS + 1));
    // Streamed: no piece is more than a small part of the file.
    expect(largest).toBeLessThan(bytes / 10);
    console.info(
      `dashboard over ${CANDIDATES} candidates: ${dashboardMs.toFixed(0)} ms; answers export: ${rows} rows, ${(bytes / 1e6).toFixed(1)} M chars in ${exportMs.toFixed(0)} ms (largest piece ${(largest / 1e6).toFixed(2)} M chars)`,
    );
  }, 120_000);
});
