'use client';

import { trpc } from '@/components/providers/trpc';
import { CandidateList } from './candidate-list';
import { ImportPanel } from './import-panel';
import { PhotoPackagePanel } from './photo-package-panel';

/** The exam's candidates section: the imports (the list, then their photos) first, then the list they fill. */
export function CandidatesPage({ examId }: { examId: number }) {
  const utils = trpc.useUtils();
  return (
    <div className="space-y-6">
      <ImportPanel examId={examId} onImported={() => void utils.admin.invalidate()} />
      <PhotoPackagePanel onImported={() => void utils.admin.invalidate()} />
      <CandidateList examId={examId} />
    </div>
  );
}
