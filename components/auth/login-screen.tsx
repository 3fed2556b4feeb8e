'use client';

import { SystemCheckSummary } from '@/components/checks/system-check';
import { useSystemCheck } from '@/components/checks/use-system-check';
import { LoginForm } from './login-form';

/**
 * The manual's start-up sequence: the system check runs on arrival, above the login form and
 * without blocking it; a candidate's result is stored as soon as they are signed in.
 */
export function LoginScreen() {
  const check = useSystemCheck();
  return (
    <div className="w-full max-w-sm space-y-4">
      <SystemCheckSummary check={check} />
      <LoginForm onCandidateLogin={check.report} />
    </div>
  );
}
