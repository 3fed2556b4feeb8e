import { redirect } from 'next/navigation';
import { BindByLink } from '@/components/phone/phone-app';

export const dynamic = 'force-dynamic';

/** Opened from the QR code: binds with its token (one use), then shows the phone's page. */
export default async function PhoneBindPage({ searchParams }: { searchParams: Promise<{ t?: string | string[] }> }) {
  const token = (await searchParams).t;
  if (typeof token !== 'string' || !token) redirect('/phone');
  return <BindByLink token={token} />;
}
