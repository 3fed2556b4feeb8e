'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { field, fieldErrorsOf } from './form';

export function NewRoomForm({ examId, onCreated }: { examId: number; onCreated: () => void }) {
  const t = useTranslations('adminRooms.create');
  const errorText = useErrorText();
  const [name, setName] = useState('');
  const [capacity, setCapacity] = useState('30');
  const create = trpc.admin.rooms.create.useMutation({
    onSuccess: () => {
      setName('');
      onCreated();
    },
  });
  const errors = fieldErrorsOf(create.error);

  return (
    <form
      className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ examId, name, capacity: Number(capacity) });
      }}
      noValidate
      data-testid="new-room-form"
    >
      <h2 className="w-full font-semibold">{t('heading')}</h2>
      <label className="flex flex-col gap-1 text-sm">
        <span className="text-slate-700">{t('name')}</span>
        <input
          className={`${field} w-56`}
          value={name}
          maxLength={50}
          placeholder={t('namePlaceholder')}
          onChange={(e) => setName(e.target.value)}
          data-testid="new-room-name"
        />
        {errors.name && <span className="text-xs text-red-700">{errors.name}</span>}
      </label>
      <label className="flex flex-col gap-1 text-sm">
        <span className="text-slate-700">{t('capacity')}</span>
        <input
          className={`${field} w-32`}
          type="number"
          min={1}
          max={500}
          value={capacity}
          onChange={(e) => setCapacity(e.target.value)}
          data-testid="new-room-capacity"
        />
        {errors.capacity && <span className="text-xs text-red-700">{errors.capacity}</span>}
      </label>
      <Button type="submit" disabled={create.isPending} data-testid="new-room-submit">
        {t('submit')}
      </Button>
      {create.isSuccess && (
        <p className="text-sm text-green-700" role="status">
          {t('created', { name: create.data.name })}
        </p>
      )}
      {create.error && !Object.keys(errors).length && (
        <div className="w-full">
          <Alert>{errorText(create.error)}</Alert>
        </div>
      )}
    </form>
  );
}
