import { getDb } from '@/server/db';
import { photoPackageUpload } from '@/server/http/photos';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** A photo package (ZIP) to preview: the archive is the body, the preview streams back as NDJSON. */
export async function POST(req: Request) {
  return photoPackageUpload({ req, db: getDb() });
}
