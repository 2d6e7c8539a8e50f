/**
 * Issue 17: when the conversation is in French the router prefers a downloaded model that handles French (Qwen2.5
 * over SmolLM2, from the catalog's model cards) and says so; its reasons are worded when shown, in the language of
 * the moment, and true as stated (the context reason names the answer reserve it counted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Escalator, noteText, type EscalationNote } from '../chat/escalation.ts';
import { initI18n, setLanguage } from '../i18n/index.ts';
import { BUILTIN_CATALOG } from '../models/catalog.ts';
import { ConsentLedger } from './consent.ts';
import { Redactor } from './redaction.ts';
import { reasonText } from './reason-text.ts';
import { downloadedModels } from './router-models.ts';
import { route, type LocalModelInfo } from './router.ts';

const byId = (id: string) => BUILTIN_CATALOG.find((e) => e.id === id)!;
const SMOL = byId('smollm2-135m-instruct');
const QWEN = byId('qwen2.5-0.5b-instruct');
/** SmolLM2 loaded, Qwen2.5 0.5B also downloaded: what the app gives the router. */
const MODELS = downloadedModels(BUILTIN_CATALOG, (e) => e.id === QWEN.id, {
  modelId: SMOL.repo,
  contextLength: 8192,
});
const FRENCH = 'Bonjour ! Peux-tu me dire bonjour en retour ?';
const ENGLISH = 'Hello! Can you say hello back?';
const user = (content: string) => [{ role: 'user' as const, content }];
const plain = (s: string) => s.replace(/\s/g, ' ');

describe('the router and the conversation language', () => {
  beforeAll(() => initI18n('en'));
  afterAll(() => setLanguage('en'));

  it('picks Qwen2.5 over the smaller SmolLM2 for a French conversation, and says why in words', () => {
    expect(MODELS.map((m) => m.id)).toEqual([SMOL.id, QWEN.id]);
    const d = route({ messages: user(FRENCH), localModels: MODELS });
    expect(d.language).toBe('fr');
    expect(d.localModelId).toBe(QWEN.id);
    expect(d.escalate).toBe(false);
    const why = d.reasons.find((r) => r.rule === 'language-choice');
    expect(why?.explanation).toBe(
      `The conversation is in French: ${QWEN.label} handles it, ${SMOL.label} does not.`,
    );
    // It explains the choice; it does not move the score (the measured figures stay those of the eval).
    expect(why?.weight).toBe(0);
  });

  it('keeps the smallest model for the same request in English, with no language reason', () => {
    const d = route({ messages: user(ENGLISH), localModels: MODELS });
    expect(d.localModelId).toBe(SMOL.id);
    expect(d.reasons.map((r) => r.rule)).not.toContain('language-choice');
  });

  it('words the same reasons again in French after a language switch, and back', async () => {
    const d = route({ messages: user(FRENCH), localModels: MODELS });
    const why = d.reasons.find((r) => r.rule === 'language-choice')!;
    await setLanguage('fr');
    expect(plain(reasonText(why))).toBe(
      `La conversation est en français : ${QWEN.label} la maîtrise, ${SMOL.label} non.`,
    );
    await setLanguage('en');
    expect(reasonText(why)).toBe(why.explanation);
  });

  it('names the answer reserve it counted when a short conversation does not fit, in both languages', async () => {
    const tiny: LocalModelInfo[] = [{ id: 'tiny', parameters: 1e6, contextLength: 512, goodFor: [] }];
    const d = route({ messages: user('hello '.repeat(100)), localModels: tiny, answerReserveTokens: 512 });
    const overflow = d.reasons.find((r) => r.rule === 'context-overflow')!;
    expect(d.promptTokens).toBeLessThan(512);
    expect(reasonText(overflow)).toBe(
      `The conversation (about ${d.promptTokens} tokens) plus the 512 tokens kept for the answer is more than the downloaded model can read (512).`,
    );
    await setLanguage('fr');
    expect(plain(reasonText(overflow))).toBe(
      `La conversation (environ ${d.promptTokens} jetons) plus les 512 jetons réservés à la réponse dépassent ce que le modèle téléchargé peut lire (512).`,
    );
    await setLanguage('en');
  });
});

describe('the note after a local answer', () => {
  beforeAll(() => initI18n('en'));
  afterAll(() => setLanguage('en'));

  function escalator(mode: 'local-only' | 'ask', notes: (EscalationNote | null)[]) {
    return new Escalator({
      mode: () => mode,
      client: () => Promise.resolve(null),
      unreachable: () => null,
      ledger: new ConsentLedger(),
      redactorFor: () => new Redactor(),
      redact: () => true,
      maxTokens: () => 256,
      localModels: () => MODELS,
      explainLocalOnly: true,
      note: (n) => notes.push(n),
      askConsent: () => Promise.resolve('cancel'),
    });
  }

  it('tells a French speaker on SmolLM2 to load the downloaded Qwen2.5, because it handles French', async () => {
    const notes: (EscalationNote | null)[] = [];
    const plan = await escalator('ask', notes).afterLocalAnswer({
      conversationId: 'c1',
      history: user(FRENCH),
      modelId: SMOL.repo,
      contextLength: 8192,
    });
    expect(plan).toBeNull();
    const note = notes.at(-1)!;
    expect(note.kind).toBe('info');
    expect(noteText(note.message)).toBe(
      `${QWEN.label} is downloaded and handles French, which ${SMOL.label} does not: load it for this conversation.`,
    );
    await setLanguage('fr');
    expect(plain(noteText(note.message))).toBe(
      `${QWEN.label} est téléchargé et maîtrise le français, ce que ${SMOL.label} ne fait pas : chargez-le pour cette conversation.`,
    );
    await setLanguage('en');
  });

  it('in "On this device only", only hints (nothing can be sent), with the reasons it counted', async () => {
    const notes: (EscalationNote | null)[] = [];
    const proof = 'Prove that there are infinitely many prime numbers, step by step.';
    await escalator('local-only', notes).afterLocalAnswer({
      conversationId: 'c1',
      history: user(proof),
      modelId: SMOL.repo,
      contextLength: 8192,
    });
    const note = notes.at(-1)!;
    expect(note.kind).toBe('hint');
    expect(noteText(note.message)).toContain('so nothing is sent');
    expect(note.reasons?.map((r) => r.rule)).toContain('proof');
  });
});
