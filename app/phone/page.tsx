import { PhoneApp } from '@/components/phone/phone-app';

export const dynamic = 'force-dynamic';

/** The witness phone's page: no login, the phone holds a device session once bound. */
export default function PhonePage() {
  return <PhoneApp />;
}
