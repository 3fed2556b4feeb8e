import path from 'node:path';
import { getDb } from '@/server/db';
import { env } from '@/server/env';
import { createUploadHandler } from '@/server/http/recordings-upload';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

let handler: ReturnType<typeof createUploadHandler> | undefined;

/** The tus endpoint for recording chunks (resumable uploads; see server/http/recordings-upload.ts). */
const handle = (req: Request) => {
  handler ??= createUploadHandler({
    db: getDb(),
    dataDir: path.resolve(env.DATA_DIR),
    maxChunkBytes: env.MAX_CHUNK_BYTES,
    quotaBytes: env.RECORDING_QUOTA_BYTES,
  });
  return handler(req);
};

export { handle as DELETE, handle as GET, handle as HEAD, handle as OPTIONS, handle as PATCH, handle as POST };
