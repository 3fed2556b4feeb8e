import { faceAssetResponse } from '@/server/http/face-assets';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Face models and tfjs' wasm binaries for the candidate's browser (components/face). No login: the login page loads them. */
export async function GET(req: Request, { params }: { params: Promise<{ kind: string; file: string }> }) {
  const { kind, file } = await params;
  return faceAssetResponse(req, kind, file);
}
