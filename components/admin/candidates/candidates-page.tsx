'use client';

import { trpc } from '@/components/providers/trpc';
import { CandidateList } from './candidate-list';
import { ImportPanel } from './import-panel';

/** The exam's candidates section: the import first, then the list it fills. */
export function CandidatesPage({ examId }: { examId: number }) {
  const utils = trpc.useUtils();
  return (
    <div className="space-y-6">
      <ImportPanel examId={examId} onImported={() => void utils.admin.invalidate()} />
      <CandidateList examId={examId} />
    </div>
  );
}
