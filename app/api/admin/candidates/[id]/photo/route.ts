import { getDb } from '@/server/db';
import { photoUpload } from '@/server/http/photos';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The candidate editor's photo upload: the image is the body. */
export async function PUT(req: Request, { params }: { params: Promise<{ id: string }> }) {
  return photoUpload({ req, db: getDb(), id: (await params).id });
}
