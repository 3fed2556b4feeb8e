import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Import first: points the app's data folder (recording chunks, unfinished uploads) at a
 * throwaway folder before `server/env` reads it. `removeDataDir` deletes it.
 */
process.env.DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'exam-security-data-'));

export const removeDataDir = () => fs.rmSync(process.env.DATA_DIR!, { recursive: true, force: true });
