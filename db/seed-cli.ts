import { env } from '@/server/env';
import { openDb } from './client';
import { DEMO_CANDIDATES } from './seed-data';
import { DEMO_PASSWORD, DEMO_STAFF, seedDemo } from './seed';

const db = openDb(env.DATABASE_PATH);
const { created } = await seedDemo({ db });
db.$client.close();
console.log(created ? 'demo exams created through the back-office services' : 'demo exams re-timed: entry is open now');
console.log(`  staff:     ${DEMO_STAFF.map((s) => `${s.username} (${s.role})`).join(', ')} / password ${DEMO_PASSWORD}`);
console.log(`  candidate: ID ${DEMO_CANDIDATES[0].idNumber} / password ${DEMO_PASSWORD} (room 1, with invig1)`);
console.log(`  back office: log in as admin, then /admin/exams`);
