'use client';

import { useTranslations } from 'next-intl';
import type { HelpCategory } from '@/db/schema';

/** The schema's list, repeated as a type-checked literal so the client bundle stays free of drizzle. */
export const CATEGORIES = ['technical', 'content', 'other'] as const satisfies readonly HelpCategory[];

export function CategoryLabel({ category }: { category: HelpCategory }) {
  const t = useTranslations('help.category');
  return <>{t(category)}</>;
}
