'use client';

import { useErrorText } from '@/components/ui/use-error-text';

/** A table row under a row whose action failed, with the server's (translated) message. */
export function ErrorRow({ error, colSpan, testId }: { error: unknown; colSpan: number; testId?: string }) {
  const errorText = useErrorText();
  if (!error) return null;
  return (
    <tr>
      <td colSpan={colSpan} className="px-4 pb-3">
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-1.5 text-sm text-red-800" data-testid={testId}>
          {errorText(error)}
        </p>
      </td>
    </tr>
  );
}
