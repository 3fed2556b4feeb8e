import { SupportCentre } from '@/components/support/support-centre';

export default function SupportPage() {
  return <SupportCentre />;
}
