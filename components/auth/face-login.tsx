'use client';

import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { HotlineContact } from '@/components/help/hotline';

/** Frames sent per try, and the pause between them: a live face moves a little, a photo does not. */
const FRAMES = 3;
const FRAME_GAP_MS = 400;
const POLL_MS = 2000;
/** A waiting attempt survives a reload of this tab (never another tab: the secret stays here). */
const PENDING_KEY = 'faceLogin.pending';

type Who = { name: string; idNumber: string };
type Pending = { attemptId: number; secret: string };
type Step =
  | { kind: 'who' }
  | { kind: 'camera'; who: Who }
  | { kind: 'waiting'; pending: Pending }
  | { kind: 'refused'; note: string | null; callSupport: boolean; who: Who | null };

const input =
  'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500';

/**
 * The manual's first login method: name + ID number, a camera, then the server compares the
 * face with the registered photo. Below the threshold a person checks (the identity check
 * queue) while this page waits; nothing the page computes is trusted.
 */
export function FaceLogin({ onLoggedIn, onUsePassword }: { onLoggedIn: (home: string) => void; onUsePassword: () => void }) {
  const [step, setStep] = useState<Step>(() => {
    if (typeof window === 'undefined') return { kind: 'who' };
    const saved = window.sessionStorage.getItem(PENDING_KEY);
    try {
      return saved ? { kind: 'waiting', pending: JSON.parse(saved) as Pending } : { kind: 'who' };
    } catch {
      return { kind: 'who' };
    }
  });
  const wait = (pending: Pending) => {
    window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    setStep({ kind: 'waiting', pending });
  };
  const done = (home: string) => {
    window.sessionStorage.removeItem(PENDING_KEY);
    onLoggedIn(home);
  };
  if (step.kind === 'who') return <WhoStep onNext={(who) => setStep({ kind: 'camera', who })} onUsePassword={onUsePassword} />;
  if (step.kind === 'camera') return <CameraStep who={step.who} onBack={() => setStep({ kind: 'who' })} onPending={wait} onAccepted={done} />;
  if (step.kind === 'waiting')
    return (
      <WaitingStep
        pending={step.pending}
        onApproved={done}
        onRefused={(note, callSupport) => {
          window.sessionStorage.removeItem(PENDING_KEY);
          setStep({ kind: 'refused', note, callSupport, who: null });
        }}
        onGone={() => {
          window.sessionStorage.removeItem(PENDING_KEY);
          setStep({ kind: 'who' });
        }}
      />
    );
  return <RefusedStep note={step.note} callSupport={step.callSupport} onRetry={() => setStep({ kind: 'who' })} />;
}

function WhoStep({ onNext, onUsePassword }: { onNext: (who: Who) => void; onUsePassword: () => void }) {
  const t = useTranslations('faceLogin');
  const errorText = useErrorText();
  const [who, setWho] = useState<Who | null>(null);
  const check = trpc.face.availability.useMutation({ onSuccess: (res) => res.available && who && onNext(who) });
  const fieldErrors = (check.error?.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {};
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = { name: String(form.get('name') ?? ''), idNumber: String(form.get('idNumber') ?? '') };
    setWho(next);
    check.mutate(next);
  }
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <label className="block text-sm font-medium text-slate-700">
        {t('name')}
        <input name="name" autoComplete="name" className={input} maxLength={50} />
        {fieldErrors.name && <span className="mt-1 block text-xs text-red-600">{fieldErrors.name}</span>}
      </label>
      <label className="block text-sm font-medium text-slate-700">
        {t('idNumber')}
        <input name="idNumber" autoComplete="username" placeholder={t('idNumberPlaceholder')} className={input} maxLength={18} />
        {fieldErrors.idNumber && <span className="mt-1 block text-xs text-red-600">{fieldErrors.idNumber}</span>}
      </label>
      {check.error && <Alert>{errorText(check.error)}</Alert>}
      {check.data && !check.data.available && (
        <Alert>
          {t(`unavailable.${check.data.reason}`)}{' '}
          <button type="button" className="font-medium underline" onClick={onUsePassword} data-testid="face-use-password">
            {t('usePassword')}
          </button>
        </Alert>
      )}
      <Button type="submit" className="w-full" disabled={check.isPending}>
        {check.isPending ? t('checking') : t('next')}
      </Button>
    </form>
  );
}

function CameraStep({
  who,
  onBack,
  onPending,
  onAccepted,
}: {
  who: Who;
  onBack: () => void;
  onPending: (p: Pending) => void;
  onAccepted: (home: string) => void;
}) {
  const t = useTranslations('faceLogin');
  const errorText = useErrorText();
  const video = useRef<HTMLVideoElement>(null);
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [deviceId, setDeviceId] = useState<string>('');
  const [cameraError, setCameraError] = useState<string | null>(null);
  const [capturing, setCapturing] = useState(false);
  const login = trpc.face.login.useMutation({
    onSuccess: (res) => {
      if (res.status === 'accepted') onAccepted(res.home);
      else if (res.status === 'pending') onPending({ attemptId: res.attemptId, secret: res.secret });
    },
  });

  useEffect(() => {
    let stream: MediaStream | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: deviceId ? { deviceId: { exact: deviceId }, width: 640, height: 480 } : { width: 640, height: 480 }, audio: false })
      .then(async (s) => {
        if (cancelled) return s.getTracks().forEach((tr) => tr.stop());
        stream = s;
        setCameraError(null);
        if (video.current) video.current.srcObject = s;
        const all = await navigator.mediaDevices.enumerateDevices();
        if (!cancelled) setCameras(all.filter((d) => d.kind === 'videoinput'));
      })
      .catch((err: Error) => !cancelled && setCameraError(err.name === 'NotAllowedError' ? t('cameraDenied') : t('cameraMissing')));
    return () => {
      cancelled = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [deviceId, t]);

  const capture = useCallback(async () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    setCapturing(true);
    const frames: string[] = [];
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    const g = canvas.getContext('2d')!;
    for (let i = 0; i < FRAMES; i++) {
      if (i) await new Promise((r) => setTimeout(r, FRAME_GAP_MS));
      g.drawImage(v, 0, 0);
      frames.push(canvas.toDataURL('image/jpeg', 0.85));
    }
    setCapturing(false);
    login.mutate({ ...who, frames });
  }, [login, who]);

  const busy = capturing || login.isPending;
  const rejected = login.data?.status === 'rejected' ? login.data.reason : null;
  return (
    <div className="space-y-4">
      <div className="relative overflow-hidden rounded-lg bg-slate-900">
        <video ref={video} autoPlay muted playsInline className="aspect-[4/3] w-full -scale-x-100 object-cover" data-testid="face-preview" />
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center">
          <div className="h-3/4 w-1/2 rounded-[50%] border-2 border-dashed border-white/70" />
        </div>
      </div>
      {cameras.length > 1 && (
        <label className="block text-sm font-medium text-slate-700">
          {t('camera')}
          <select className={input} value={deviceId} onChange={(e) => setDeviceId(e.target.value)}>
            {cameras.map((c, i) => (
              <option key={c.deviceId} value={c.deviceId}>
                {c.label || t('cameraN', { n: i + 1 })}
              </option>
            ))}
          </select>
        </label>
      )}
      <p className="text-sm text-slate-600">{t('instructions')}</p>
      {cameraError && <Alert>{cameraError}</Alert>}
      {rejected && <Alert>{t(`rejected.${rejected}`)}</Alert>}
      {login.error && <Alert>{errorText(login.error)}</Alert>}
      <div className="flex gap-2">
        <Button type="button" variant="secondary" onClick={onBack} disabled={busy}>
          {t('back')}
        </Button>
        <Button type="button" className="flex-1" onClick={capture} disabled={busy || !!cameraError}>
          {busy ? t('verifying') : rejected ? t('retry') : t('start')}
        </Button>
      </div>
    </div>
  );
}

function WaitingStep({
  pending,
  onApproved,
  onRefused,
  onGone,
}: {
  pending: Pending;
  onApproved: (home: string) => void;
  onRefused: (note: string | null, callSupport: boolean) => void;
  onGone: () => void;
}) {
  const t = useTranslations('faceLogin');
  const [ahead, setAhead] = useState<number | null>(null);
  const poll = trpc.face.attempt.useMutation({ networkMode: 'always' });
  const { mutateAsync } = poll;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const res = await mutateAsync(pending);
        if (stopped) return;
        if (res.status === 'approved') return onApproved(res.home);
        if (res.status === 'refused') return onRefused(res.note ?? null, res.callSupport);
        setAhead(res.ahead);
      } catch (err) {
        if (stopped) return;
        // Gone (expired, superseded): start again. Anything else (network): keep asking.
        if ((err as { data?: { code?: string } }).data?.code === 'NOT_FOUND') return onGone();
      }
      timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pending, mutateAsync, onApproved, onRefused, onGone]);
  return (
    <div className="space-y-3 text-center" role="status">
      <div className="mx-auto h-10 w-10 animate-spin rounded-full border-4 border-blue-200 border-t-blue-600" />
      <p className="font-medium text-slate-800">{t('waiting')}</p>
      <p className="text-sm text-slate-600">{t('waitingHint')}</p>
      {ahead != null && ahead > 0 && <p className="text-xs text-slate-500">{t('ahead', { n: ahead })}</p>}
    </div>
  );
}

function RefusedStep({ note, callSupport, onRetry }: { note: string | null; callSupport: boolean; onRetry: () => void }) {
  const t = useTranslations('faceLogin');
  return (
    <div className="space-y-3">
      <Alert>{t('refused')}</Alert>
      {note && <p className="text-sm text-slate-700">{t('refusedNote', { note })}</p>}
      {callSupport ? (
        <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="face-call-support">
          <p className="font-medium">{t('callSupport')}</p>
          <div className="mt-2">
            <HotlineContact />
          </div>
        </div>
      ) : (
        <Button type="button" className="w-full" onClick={onRetry}>
          {t('retry')}
        </Button>
      )}
    </div>
  );
}
