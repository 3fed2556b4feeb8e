import os from 'node:os';
import path from 'node:path';

// The app's default database must never be touched by tests: point it at a throwaway file.
process.env.DATABASE_PATH ??= path.join(os.tmpdir(), `exam-unit-${process.pid}.db`);
process.env.LOGIN_MAX_FAILURES ??= '5';
