import { describe, expect, it } from 'vitest';
import { initI18n, setLanguage } from '../i18n/index.ts';
import type { WidgetProvider } from '../widget/widget-provider.ts';
import {
  askableAnswerId,
  effectiveEscalation,
  escalationStatus,
  reachable,
  type EmbedMessageView,
} from './widget-escalation.ts';
import { historyBefore } from './history.ts';

const PROVIDER: WidgetProvider = { presetId: 'openai', baseUrl: 'https://ai.shop.example/v1' };
const REMOTE = { label: 'OpenAI', host: 'ai.shop.example', model: 'gpt-4o-mini' };

describe('effectiveEscalation: the host can only restrict', () => {
  it.each([
    ['local-only', PROVIDER, 'local-only'],
    ['ask', PROVIDER, 'ask'],
    ['auto', PROVIDER, 'auto'],
    [null, PROVIDER, 'local-only'],
    ['always', PROVIDER, 'local-only'],
    ['ASK', PROVIDER, 'local-only'],
    ['local-only', null, 'local-only'],
    ['ask', null, 'local-only'],
    ['auto', null, 'local-only'],
  ] as const)('attribute %s with provider %o → %s', (attribute, provider, mode) => {
    expect(effectiveEscalation(attribute, provider).mode).toBe(mode);
  });

  it('says when the deployment, not the host, is the limit', () => {
    expect(effectiveEscalation('ask', null)).toEqual({
      mode: 'local-only',
      requested: 'ask',
      limitedBy: 'no-provider',
    });
    expect(effectiveEscalation('local-only', null).limitedBy).toBeNull();
    expect(effectiveEscalation('auto', PROVIDER)).toEqual({
      mode: 'auto',
      requested: 'auto',
      limitedBy: null,
    });
  });
});

describe('escalationStatus', () => {
  it('names the larger model only when it may be asked', () => {
    expect(escalationStatus(effectiveEscalation('local-only', PROVIDER), REMOTE)).toBe(
      'Answers are made on this device.',
    );
    expect(escalationStatus(effectiveEscalation('ask', null), null)).toBe(
      'Answers are made on this device: no larger model is set up for this chat.',
    );
    const ask = escalationStatus(effectiveEscalation('ask', PROVIDER), REMOTE);
    expect(ask).toContain('gpt-4o-mini at ai.shop.example');
    expect(ask).toContain('only after you press Send');
  });

  it('is worded in the widget’s language when asked (lang="fr")', async () => {
    await initI18n('fr');
    try {
      const ask = escalationStatus(effectiveEscalation('ask', PROVIDER), REMOTE).replace(/\s/g, ' ');
      expect(ask).toBe(
        'Les réponses sont produites sur cet appareil ; un modèle plus grand (gpt-4o-mini sur ai.shop.example) ne reçoit vos messages qu’après que vous avez appuyé sur Envoyer.',
      );
    } finally {
      await setLanguage('en');
    }
  });
});

describe('reachable', () => {
  it('offline, only a model server on this computer', () => {
    expect(reachable(true, false)).toBe(true);
    expect(reachable(false, true)).toBe(true);
    expect(reachable(false, false)).toBe(false);
  });
});

describe('historyBefore', () => {
  const m = (
    id: string,
    role: 'user' | 'assistant',
    content: string,
    status: EmbedMessageView['status'] = 'complete',
  ) => ({ id, role, content, status }) as EmbedMessageView;
  const all = [
    m('u1', 'user', 'Hi'),
    m('a1', 'assistant', 'Hello'),
    m('u2', 'user', 'Prove it'),
    m('x', 'assistant', '', 'error'),
    m('a2', 'assistant', 'Done'),
  ];

  it('is what the model read for that answer, failed turns left out', () => {
    expect(historyBefore(all, 'a1')).toEqual([{ role: 'user', content: 'Hi' }]);
    expect(historyBefore(all, 'a2')).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Prove it' },
    ]);
  });

  it('is null for an unknown answer or one that does not follow a user message', () => {
    expect(historyBefore(all, 'nope')).toBeNull();
    expect(historyBefore([m('a', 'assistant', 'Hi')], 'a')).toBeNull();
  });
});

describe('askableAnswerId', () => {
  const local = (id: string, status: EmbedMessageView['status'] = 'complete'): EmbedMessageView => ({
    id,
    role: 'assistant',
    content: 'x',
    status,
    source: 'on-device',
  });
  const remote = (status: EmbedMessageView['status']): EmbedMessageView => ({
    id: `r-${status}`,
    role: 'assistant',
    content: 'y',
    status,
    source: 'remote',
  });
  const user: EmbedMessageView = { id: 'u', role: 'user', content: 'q', status: 'complete' };

  it('is the latest local answer, offered again after a failed or stopped remote try', () => {
    expect(askableAnswerId([user, local('a')])).toBe('a');
    expect(askableAnswerId([user, local('a'), remote('error')])).toBe('a');
    expect(askableAnswerId([user, local('a'), remote('stopped')])).toBe('a');
  });

  it('is nothing once a larger model answered, while one streams, or for an older answer', () => {
    expect(askableAnswerId([user, local('a'), remote('complete')])).toBeNull();
    expect(askableAnswerId([user, local('a'), remote('interrupted')])).toBeNull();
    expect(askableAnswerId([user, local('a'), remote('streaming')])).toBeNull();
    expect(askableAnswerId([user, local('a', 'stopped')])).toBeNull();
    expect(askableAnswerId([user, local('a'), user])).toBeNull();
    expect(askableAnswerId([])).toBeNull();
  });
});
