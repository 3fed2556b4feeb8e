'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTicking } from '@/components/grid/ticker';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { CategoryLabel } from '../category';
import { formatElapsed, slaState } from '../constants';
import { SLA_STYLE } from '../desk/desk-queue';

type Overview = inferRouterOutputs<AppRouter>['help']['lead']['overview'];
type Agent = Overview['agents'][number];
type Thread = Overview['queue'][number];

/** Presence (a desk opened or closed) is no desk event: besides the events, the view re-reads this often. */
const PRESENCE_REFRESH_MS = 15_000;
/** Desk events come in bursts (a transfer brings an auto-assign): one re-read per burst. */
const EVENT_COALESCE_MS = 250;

/**
 * The support lead's view of the 400 line: agents at the desk with their load and conversations,
 * the queue, late first responses today, and rooms whose candidates are asking. Live: every desk
 * event re-reads the overview (the same stream the agents' desks follow), so a move made here or
 * anywhere shows within a moment; presence is re-read every 15 s.
 */
export function LeadView() {
  const t = useTranslations('deskLead');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const overview = trpc.help.lead.overview.useQuery(undefined, { refetchInterval: PRESENCE_REFRESH_MS });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void utils.help.lead.overview.invalidate();
    }, EVENT_COALESCE_MS);
  }, [utils]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  const stream = useLive('desk', { onData: refresh, onOpen: refresh });
  const now = useTicking(() => Math.floor(Date.now() / 1000) * 1000);

  useEffect(() => {
    document.title = t('pageTitle');
  }, [t]);

  const data = overview.data;
  const oldest = data?.queue[0];
  const desks = data?.agents.filter((a) => a.kind === 'agent') ?? [];

  return (
    <div className="min-h-[calc(100dvh-3.5rem)] space-y-3 bg-slate-100 px-4 py-3" data-testid="lead-view">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-base font-semibold">{t('title')}</h1>
        <span
          data-testid="lead-live"
          data-status={stream.status}
          className={`rounded px-2 py-0.5 text-xs ${stream.status === 'connecting' ? 'bg-amber-100 text-amber-800' : 'bg-green-50 text-green-700'}`}
        >
          {stream.status === 'connecting' ? t('reconnecting') : t('live')}
        </span>
      </div>
      {(overview.error ?? stream.refusal) && <Alert>{errorText(overview.error ?? stream.refusal!)}</Alert>}
      {data && (
        <>
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat label={t('stats.queued')} testId="lead-queued" tone={data.queue.length ? 'amber' : 'plain'}>
              {data.queue.length}
            </Stat>
            <Stat label={t('stats.longestWait')} testId="lead-longest-wait" tone={oldest && slaState(oldest, now)?.level === 'red' ? 'red' : 'plain'}>
              {oldest ? formatElapsed(Math.max(0, now - oldest.queuedAt.getTime())) : <span className="text-base text-slate-400">{t('stats.noWait')}</span>}
            </Stat>
            <Stat
              label={t('stats.breaches')}
              title={t('stats.breachesTitle', { minutes: Math.round(data.slaMs / 60_000) })}
              testId="lead-breaches"
              tone={data.breachesToday ? 'red' : 'plain'}
            >
              {data.breachesToday}
            </Stat>
            <Stat label={t('stats.online')} testId="lead-online">
              {desks.filter((a) => a.online).length}
              <span className="text-base font-normal text-slate-400">/{desks.length}</span>
            </Stat>
          </div>
          <div className="grid gap-3 xl:grid-cols-[minmax(0,1fr)_400px]">
            <AgentsTable agents={data.agents} now={now} />
            <div className="space-y-3">
              <QueueList queue={data.queue} agents={data.agents} now={now} />
              <RoomsAsking rooms={data.rooms} />
            </div>
          </div>
        </>
      )}
    </div>
  );
}

function Stat({
  label,
  title,
  testId,
  tone = 'plain',
  children,
}: {
  label: string;
  title?: string;
  testId: string;
  tone?: 'plain' | 'amber' | 'red';
  children: ReactNode;
}) {
  const color = tone === 'red' ? 'text-red-700' : tone === 'amber' ? 'text-amber-700' : 'text-slate-900';
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-2.5" title={title}>
      <p className="text-xs text-slate-500">{label}</p>
      <p className={`text-2xl font-semibold tabular-nums ${color}`} data-testid={testId}>
        {children}
      </p>
    </div>
  );
}

function Section({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white" data-testid={testId}>
      <h2 className="border-b border-slate-100 px-4 py-2 text-sm font-semibold text-slate-700">{title}</h2>
      {children}
    </section>
  );
}

type Presence = 'online' | 'away' | 'offline';
const presenceOf = (a: Agent): Presence => (!a.online ? 'offline' : a.accepting === false ? 'away' : 'online');
const PRESENCE_STYLE: Record<Presence, string> = {
  online: 'bg-green-100 text-green-800',
  away: 'bg-amber-100 text-amber-800',
  offline: 'bg-slate-100 text-slate-500',
};

function AgentsTable({ agents, now }: { agents: Agent[]; now: number }) {
  const t = useTranslations('deskLead');
  return (
    <Section title={t('agents.title')} testId="lead-agents">
      {agents.length === 0 ? (
        <p className="px-4 py-6 text-center text-sm text-slate-400">{t('agents.empty')}</p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-slate-500">
            <tr>
              <th className="px-4 py-1.5 font-medium">{t('agents.name')}</th>
              <th className="px-2 py-1.5 font-medium">{t('agents.status')}</th>
              <th className="px-2 py-1.5 font-medium">{t('agents.load')}</th>
              <th className="px-2 py-1.5 font-medium">{t('agents.threads')}</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => {
              const presence = presenceOf(a);
              return (
                <tr
                  key={a.id}
                  className="border-t border-slate-100 align-top"
                  data-testid={`lead-agent-${a.id}`}
                  data-presence={presence}
                  data-open={a.openThreads}
                >
                  <td className="px-4 py-2">
                    <span className="font-medium text-slate-900">{a.name}</span>
                    {a.lead && <span className="ml-1.5 rounded bg-blue-50 px-1 text-[11px] text-blue-700">{t('agents.lead')}</span>}
                    {a.kind !== 'agent' && <span className="ml-1.5 rounded bg-slate-100 px-1 text-[11px] text-slate-600">{t(`agents.${a.kind}`)}</span>}
                  </td>
                  <td className="px-2 py-2">
                    <span
                      className={`whitespace-nowrap rounded px-1.5 py-0.5 text-xs ${PRESENCE_STYLE[presence]}`}
                      title={presence === 'away' ? t('agents.awayTitle') : presence === 'offline' ? t('agents.offlineTitle') : undefined}
                    >
                      {t(`agents.${presence}`)}
                    </span>
                  </td>
                  <td className="px-2 py-2">
                    <Load open={a.openThreads} capacity={a.capacity} />
                  </td>
                  <td className="px-2 py-2">
                    {a.threads.length === 0 ? (
                      <span className="text-xs text-slate-400">{t('agents.noThreads')}</span>
                    ) : (
                      <ul className="space-y-1.5">
                        {a.threads.map((thread) => (
                          <ThreadLine key={thread.id} thread={thread} now={now}>
                            <MoveControl thread={thread} agents={agents} />
                          </ThreadLine>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Load({ open, capacity }: { open: number; capacity: number | null }) {
  const t = useTranslations('deskLead');
  if (capacity == null) return <span className="tabular-nums text-slate-600">{open}</span>;
  const share = Math.min(1, open / capacity);
  const full = open >= capacity;
  return (
    <div className="w-24" title={full ? t('agents.full') : undefined}>
      <span className={`text-xs tabular-nums ${full ? 'font-semibold text-red-700' : 'text-slate-700'}`}>{t('agents.loadOf', { open, capacity })}</span>
      <div className="mt-1 h-1.5 rounded bg-slate-100">
        <div className={`h-1.5 rounded ${full ? 'bg-red-500' : share >= 0.75 ? 'bg-amber-500' : 'bg-green-500'}`} style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}

/** One conversation: who, what, where, its first-response clock, and what the lead can do with it. */
function ThreadLine({ thread, now, children }: { thread: Thread; now: number; children: ReactNode }) {
  const t = useTranslations('desk');
  const sla = slaState(thread, now);
  const where = [thread.roomName, thread.seat != null ? t('seat', { seat: thread.seat }) : null].filter(Boolean).join(' · ');
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-1" data-testid={`lead-thread-${thread.id}`} data-status={thread.status}>
      <span className="font-medium text-slate-800">{thread.candidate.name}</span>
      <span className="rounded bg-slate-100 px-1 text-[11px] text-slate-600">
        <CategoryLabel category={thread.category} />
      </span>
      {where && <span className="text-xs text-slate-500">{where}</span>}
      {sla && (
        <span
          title={sla.level === 'met' ? t('slaMetTitle') : t('slaTitle')}
          className={`rounded px-1.5 py-px text-[11px] font-medium tabular-nums ${SLA_STYLE[sla.level]}`}
        >
          {sla.level === 'met' ? t('slaMet', { time: formatElapsed(sla.ms) }) : t('slaWaiting', { time: formatElapsed(sla.ms) })}
        </span>
      )}
      <span className="ml-auto">{children}</span>
    </li>
  );
}

/** Moves a conversation to another support agent (or hands a waiting one out); the server audits it and tells both desks. */
function MoveControl({ thread, agents }: { thread: Thread; agents: Agent[] }) {
  const t = useTranslations('deskLead.move');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [to, setTo] = useState('');
  const move = trpc.help.lead.reassign.useMutation({
    onSuccess: () => {
      setTo('');
      void utils.help.lead.overview.invalidate();
    },
  });
  const queued = thread.status === 'queued';
  const targets = agents.filter((a) => a.kind === 'agent' && a.id !== thread.agent?.id);
  return (
    <span className="inline-flex flex-wrap items-center gap-1.5">
      <select
        aria-label={queued ? t('assignLabel') : t('label')}
        data-testid={`lead-move-${thread.id}`}
        value={to}
        onChange={(e) => setTo(e.target.value)}
        className="max-w-48 rounded-md border border-slate-300 bg-white px-1.5 py-1 text-xs text-slate-700"
      >
        <option value="">{t('pick')}</option>
        {targets.map((a) => (
          <option key={a.id} value={a.id}>
            {t(a.online ? 'option' : 'optionOffline', { name: a.name, open: a.openThreads, capacity: a.capacity ?? 0 })}
          </option>
        ))}
      </select>
      <Button
        variant="secondary"
        className="px-2 py-1 text-xs"
        disabled={!to || move.isPending}
        data-testid={`lead-move-go-${thread.id}`}
        onClick={() => move.mutate({ threadId: thread.id, toAgentId: Number(to) })}
      >
        {queued ? t('assignButton') : t('moveButton')}
      </Button>
      {move.error && (
        <span role="alert" className="w-full text-xs text-red-700" data-testid={`lead-move-error-${thread.id}`}>
          {errorText(move.error)}
        </span>
      )}
    </span>
  );
}

function QueueList({ queue, agents, now }: { queue: Thread[]; agents: Agent[]; now: number }) {
  const t = useTranslations('deskLead');
  return (
    <Section title={t('queue.title')} testId="lead-queue">
      {queue.length === 0 ? (
        <p className="px-4 py-4 text-center text-sm text-slate-400">{t('queue.empty')}</p>
      ) : (
        <ul className="max-h-72 space-y-2 overflow-y-auto px-4 py-2 text-sm">
          {queue.map((thread) => (
            <ThreadLine key={thread.id} thread={thread} now={now}>
              <MoveControl thread={thread} agents={agents} />
            </ThreadLine>
          ))}
        </ul>
      )}
    </Section>
  );
}

function RoomsAsking({ rooms }: { rooms: Overview['rooms'] }) {
  const t = useTranslations('deskLead.rooms');
  const ts = useTranslations('help.status');
  return (
    <Section title={t('title')} testId="lead-rooms">
      {rooms.length === 0 ? (
        <p className="px-4 py-4 text-center text-sm text-slate-400">{t('empty')}</p>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm">
          {rooms.map((room) => (
            <li key={room.id} className="px-4 py-2" data-testid={`lead-room-${room.id}`}>
              <div className="flex items-baseline gap-2">
                <span className="font-medium text-slate-900">{room.name}</span>
                {room.examName && <span className="truncate text-xs text-slate-500">{room.examName}</span>}
                <span className="ml-auto shrink-0 rounded-full bg-amber-100 px-2 text-xs text-amber-800">{t('count', { count: room.threads.length })}</span>
              </div>
              <p className="text-xs text-slate-600">
                {room.invigilators.length ? t('invigilators', { names: room.invigilators.map((i) => i.name).join(t('separator')) }) : t('noInvigilator')}
              </p>
              <p className="text-xs text-slate-500">
                {room.threads.map((th) => t('thread', { name: th.candidate.name, status: ts(th.status) })).join(t('separator'))}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
