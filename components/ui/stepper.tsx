/**
 * A numbered row of steps: the ones before `at` are ticked, `at` is the current one.
 * `at` may equal the number of steps (all done).
 */
export function Stepper({ labels, at, testId }: { labels: readonly string[]; at: number; testId?: string }) {
  return (
    <ol className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm" data-testid={testId}>
      {labels.map((label, i) => (
        <li key={label} className="flex items-center gap-2">
          {i > 0 && <span aria-hidden className={`h-px w-6 ${i <= at ? 'bg-blue-500' : 'bg-slate-300'}`} />}
          <span
            aria-current={i === at ? 'step' : undefined}
            className={`flex h-6 w-6 items-center justify-center rounded-full text-xs font-semibold ${
              i < at ? 'bg-blue-600 text-white' : i === at ? 'border-2 border-blue-600 text-blue-700' : 'border border-slate-300 text-slate-400'
            }`}
          >
            {i < at ? '✓' : i + 1}
          </span>
          <span className={i === at ? 'font-medium text-blue-700' : i < at ? 'text-slate-700' : 'text-slate-400'}>{label}</span>
        </li>
      ))}
    </ol>
  );
}
