import type { PhotoPackagePreview } from '@/server/routers/admin/photos';

/**
 * The reference-photo uploads: the file itself is the request body (no base64), sent to the
 * route handlers in app/api/admin. A refusal is thrown as the server worded it, in the shape
 * `useErrorText` reads; a request that never got an answer throws fetch's own error.
 */

type RefusalData = { appCode: string | null; httpStatus: number };

export class UploadRefused extends Error {
  constructor(
    message: string | undefined,
    readonly data: RefusalData,
  ) {
    super(message);
    this.name = 'UploadRefused';
  }
}

async function refusalOf(res: Response) {
  const body = (await res.json().catch(() => null)) as { message?: string; data?: Partial<RefusalData> } | null;
  return new UploadRefused(body?.message, { appCode: body?.data?.appCode ?? null, httpStatus: res.status });
}

/** The candidate editor's photo: checked by the server (one face, large enough) before it is kept. */
export async function uploadCandidatePhoto({ candidateId, examId, file }: { candidateId: number; examId: number; file: File }) {
  const res = await fetch(`/api/admin/candidates/${candidateId}/photo?examId=${examId}`, {
    method: 'PUT',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  if (!res.ok) throw await refusalOf(res);
  return (await res.json()) as { replaced: boolean };
}

type PackageLine =
  { type: 'progress'; done: number; total: number } | { type: 'preview'; preview: PhotoPackagePreview } | { type: 'error'; message: string; data: RefusalData };

/**
 * A photo package: uploads the ZIP and follows the server's NDJSON answer, one progress line
 * per photo checked, then the preview (or the refusal).
 */
export async function uploadPhotoPackage(file: File, onProgress: (p: { done: number; total: number }) => void): Promise<PhotoPackagePreview> {
  const res = await fetch(`/api/admin/photo-packages?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/zip' },
    body: file,
  });
  if (!res.ok || !res.body) throw await refusalOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += value;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = JSON.parse(pending.slice(0, nl)) as PackageLine;
      pending = pending.slice(nl + 1);
      if (line.type === 'progress') onProgress(line);
      else if (line.type === 'preview') return line.preview;
      else throw new UploadRefused(line.message, line.data);
    }
  }
  // The answer ended without a result: the connection broke (useErrorText words it as the network).
  throw new Error('photo package answer ended early');
}
