import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '@/db/client';

/** A fresh SQLite file migrated with the committed migrations, removed when closed. */
export function createTestDb(): Db & { cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exam-test-'));
  const db = openDb(path.join(dir, 'test.db'));
  return Object.assign(db, {
    cleanup: () => {
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}
