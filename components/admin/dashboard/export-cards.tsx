import { useTranslations } from 'next-intl';

const KINDS = ['timeline', 'flags', 'answers', 'uploads'] as const;

/** The four CSV downloads of an exam, each with a line on what it holds. Plain links: the browser downloads. */
export function ExportCards({ examId, kind }: { examId: number; kind: 'written' | 'interview' }) {
  const t = useTranslations('adminDashboard.exports');
  return (
    <div>
      <h2 className="text-lg font-medium">{t('title')}</h2>
      <p className="mb-4 mt-1 text-sm text-slate-500">{t('intro')}</p>
      <ul className="grid gap-4 md:grid-cols-2">
        {KINDS.map((k) => (
          <li key={k} className="flex flex-col rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid={`export-card-${k}`}>
            <h3 className="font-medium text-slate-900">{t(`cards.${k}.title`)}</h3>
            <p className="mt-1 flex-1 text-sm leading-relaxed text-slate-600">{t(`cards.${k}.description`)}</p>
            {k === 'answers' && kind !== 'written' && <p className="mt-2 text-xs text-amber-700">{t('writtenOnly')}</p>}
            <a
              href={`/api/admin/exams/${examId}/exports/${k}`}
              download
              className="mt-4 inline-flex w-fit items-center rounded-md bg-blue-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-blue-700"
              data-testid={`export-download-${k}`}
            >
              {t('download')}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
