import { ProfileForm } from '@/components/profile/profile-form';

export default function ProfilePage() {
  return <ProfileForm />;
}
