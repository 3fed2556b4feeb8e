import os from 'node:os';
import path from 'node:path';

// The app's default database must never be touched by tests: point it at a throwaway file.
process.env.DATABASE_PATH ??= path.join(os.tmpdir(), `exam-unit-${process.pid}.db`);
// Nor its data folder (setup token, generated secrets, recordings).
process.env.DATA_DIR ??= path.join(os.tmpdir(), `exam-unit-data-${process.pid}`);
// The tests' own LiveKit secret (never the public example, which the app refuses).
process.env.LIVEKIT_API_SECRET ??= 'unit-secret-0123456789abcdef0123456789abcdef';
process.env.LOGIN_MAX_FAILURES ??= '5';
// Face login and signals are what the tests are about: every model the evaluation runs.
process.env.FACE_MODELS ??= 'detector,mesh,description,object';
// Flags from LiveKit's view are raised at once in unit tests unless a test sets a grace itself.
process.env.AUTO_FLAG_GRACE_SECONDS ??= '0';
