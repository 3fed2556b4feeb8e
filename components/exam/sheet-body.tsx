/**
 * A question sheet's body: plain text with images written as `![caption](/api/attachments/<id>)`
 * (the syntax server/services/admin/sheets.ts validates). Text stays text (React escapes it);
 * only that exact link form becomes an <img>, so a body can never inject markup or point an
 * image anywhere but the exam's own attachments.
 */
const IMAGE_TOKEN = /!\[([^\]\n]*)\]\(\/api\/attachments\/(\d+)\)/g;

export type SheetBodyPart = { kind: 'text'; text: string } | { kind: 'image'; id: number; caption: string };

export function sheetBodyParts(body: string): SheetBodyPart[] {
  const parts: SheetBodyPart[] = [];
  let last = 0;
  for (const m of body.matchAll(IMAGE_TOKEN)) {
    if (m.index > last) parts.push({ kind: 'text', text: body.slice(last, m.index) });
    parts.push({ kind: 'image', id: Number(m[2]), caption: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < body.length) parts.push({ kind: 'text', text: body.slice(last) });
  return parts;
}

/** The token an editor inserts for an uploaded image. */
export const sheetImageToken = (id: number, caption: string) => `![${caption.replace(/[\]\n]/g, ' ')}](/api/attachments/${id})`;

export function SheetBody({ body, className = '', testId }: { body: string; className?: string; testId?: string }) {
  return (
    <div className={`whitespace-pre-wrap ${className}`} data-testid={testId}>
      {sheetBodyParts(body).map((part, i) =>
        part.kind === 'text' ? (
          <span key={i}>{part.text}</span>
        ) : (
          <figure key={i} className="my-3 block">
            {/* A same-origin, session-checked file (served to candidates from the start time). */}
            <img
              src={`/api/attachments/${part.id}`}
              alt={part.caption}
              className="max-h-[60vh] max-w-full rounded border border-slate-200"
              data-testid="sheet-image"
            />
            {part.caption && <figcaption className="mt-1 text-center text-sm text-slate-500">{part.caption}</figcaption>}
          </figure>
        ),
      )}
    </div>
  );
}
