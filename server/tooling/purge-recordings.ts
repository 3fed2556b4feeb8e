import { openDb } from '@/db/client';
import { env } from '../env';
import { purgeExpiredFaceEvidence, purgeExpiredRecordings } from '../services/recordings-retention';

/**
 * `npm run recordings:purge`: deletes the recordings of exams past their retention (set per exam
 * in the back office), and the face login frames of candidates none of whose exams keeps recordings any more. Safe to run from cron as often as wanted; prints what it removed.
 */
const db = openDb(env.DATABASE_PATH);
const purged = purgeExpiredRecordings({ db, dataDir: env.DATA_DIR });
const faceAttemptsCleared = purgeExpiredFaceEvidence({ db });
db.$client.close();
if (!purged.length) console.log('no recordings past their retention');
for (const p of purged) console.log(`exam ${p.examId} ${p.title}: ${p.recordings} recordings, ${p.chunks} chunks, ${(p.bytes / 1e6).toFixed(1)} MB removed`);
if (faceAttemptsCleared) console.log(`face login evidence removed from ${faceAttemptsCleared} attempts`);
