/**
 * Route → consent for one answered turn, free of any framework: the router's verdict (or the user's button),
 * the mode and the consent ledger decide; the user is asked through `askConsent`. What comes out is a plan the
 * session streams: the consented preview and the remote client as a ChatEngine. Nothing is built in
 * "On this device only": `decideDispatch` says 'local' and `streamRemote` would refuse anyway.
 */
import { toPetitError } from '../engine/errors.ts';
import { describeError } from '../i18n/errors.ts';
import { currentLanguage } from '../i18n/index.ts';
import type { ChatMessage, CompletionUsage } from '../engine/protocol.ts';
import {
  buildConsentPreview,
  confidenceFromLogprobs,
  decideDispatch,
  explainDecision,
  route,
  type ConsentLedger,
  type ConsentPreview,
  type ConsentScope,
  type EscalationMode,
  type LocalConfidence,
  type LocalModelInfo,
  type Redactor,
  type RemoteClient,
  type RouterReason,
  type UserRouterWeights,
} from '../escalation/index.ts';
import { remoteAnswerBudget } from '../escalation/providers/remote-client.ts';
import { escalationText, type EscalationMessage } from '../escalation/reason-text.ts';
import { answerReserve } from '../escalation/router-models.ts';
import { consentedRemote, type ChatEngine } from './chat-engine.ts';

/** 'dismissed': the conversation moved on before the user answered (nothing is sent, nothing is said). */
export type ConsentChoice = ConsentScope | 'cancel' | 'dismissed';

export interface ConsentRequest {
  preview: ConsentPreview;
  reasons: RouterReason[];
  userAsked: boolean;
}

/** What a note says: a catalog message, an error (worded by the errors catalog) or a sentence made elsewhere. */
export type NoteMessage =
  | EscalationMessage
  /** An error, alone or as the `error` argument of the catalog message `within`. */
  | { error: unknown; within?: string }
  | { plain: string };

export interface EscalationNote {
  /** 'hint': the router would have asked a larger model, in a mode that never sends (shown quietly). */
  kind: 'suggest' | 'error' | 'info' | 'hint';
  /** Worded when shown, with noteText, so that a language switch re-renders it. */
  message: NoteMessage;
  /** The sentence in the language of the moment the note was made, for a view that does not re-render it. */
  text: string;
  reasons?: RouterReason[];
}

/**
 * An error in the current language. In English, the error's own message: the providers' messages name the exact
 * setting to change (OLLAMA_ORIGINS, the Azure resource field), which the errors catalog's per-code sentences
 * leave out; in another language, the catalog's sentence for its code.
 */
export function errorText(error: unknown): string {
  const e = toPetitError(error);
  return currentLanguage() === 'en' ? e.message : describeError(e);
}

/** A note's sentence in the current language. */
export function noteText(message: NoteMessage): string {
  if ('error' in message) {
    const error = errorText(message.error);
    return message.within ? escalationText({ key: message.within, params: { error } }) : error;
  }
  if ('key' in message) return escalationText(message);
  return message.plain;
}

export function makeNote(
  kind: EscalationNote['kind'],
  message: NoteMessage,
  reasons?: RouterReason[],
): EscalationNote {
  return { kind, message, text: noteText(message), ...(reasons ? { reasons } : {}) };
}

export interface LocalAnswer {
  conversationId: string | null;
  /** The messages the local model answered (ending with the user's message). */
  history: ChatMessage[];
  usage?: CompletionUsage;
  confidence?: LocalConfidence;
  modelId: string;
  contextLength: number;
}

/** A consented remote answer to stream. */
export interface RemotePlan {
  conversationId: string;
  preview: ConsentPreview;
  engine: ChatEngine;
  /** `Provider · model`, as the answer is labelled. */
  modelId: string;
}

/** What the app and the widget decide differently: where settings, keys and consents live, and what is said. */
export interface EscalationPolicy {
  mode(): EscalationMode;
  /** The chosen remote model with its key, or null when none is chosen. */
  client(): Promise<RemoteClient | null>;
  /** Why `client` cannot be reached now (offline), or null. */
  unreachable(client: RemoteClient): string | null;
  ledger: ConsentLedger;
  redactorFor(conversationId: string): Redactor;
  redact(): boolean;
  /** The local answer budget (the remote one is derived from it). */
  maxTokens(): number;
  localModels(loaded: { modelId: string; contextLength: number }): LocalModelInfo[];
  userWeights?(): UserRouterWeights;
  /** In "On this device only", say that the router would have asked a larger model. */
  explainLocalOnly: boolean;
  note(note: EscalationNote | null): void;
  askConsent(request: ConsentRequest): Promise<ConsentChoice>;
  /** The user granted consent (the app saves the ledger). */
  granted?(choice: ConsentScope): void;
}

/**
 * The router's confidence signal from the answer's token log-probabilities and, where the backend reports it, how
 * familiar the prompt looked to the model (`usage.extra.prompt_logprob`; see router.ts).
 */
export function confidenceFrom(
  logprobs: readonly number[],
  usage?: { extra?: { prompt_logprob?: { mean: number } } },
): LocalConfidence | undefined {
  const answer = confidenceFromLogprobs(logprobs);
  const prompt = usage?.extra?.prompt_logprob?.mean;
  if (prompt === undefined || !Number.isFinite(prompt)) return answer;
  return { ...answer, promptLogprob: prompt };
}

interface EscalateInput {
  conversationId: string | null;
  history: ChatMessage[];
  reasons: RouterReason[];
  routerEscalates: boolean;
  userAsked: boolean;
}

export class Escalator {
  constructor(readonly policy: EscalationPolicy) {}

  /** After each local answer: asks the router whether a larger model is needed, and the user if it is. */
  async afterLocalAnswer(a: LocalAnswer): Promise<RemotePlan | null> {
    const p = this.policy;
    const localModels = p.localModels({ modelId: a.modelId, contextLength: a.contextLength });
    const decision = route({
      messages: a.history,
      localModels,
      confidence: a.confidence,
      // The answer room the app really keeps (the router's default of 512 overflows small test contexts).
      answerReserveTokens: answerReserve(p.maxTokens(), a.contextLength),
      userWeights: p.userWeights?.(),
    });
    const better = localModels.find((m) => m.id === decision.localModelId);
    if (!decision.escalate && better && better !== localModels[0]) {
      // "A larger local model would do" or "this one speaks the conversation's language": say which, and why,
      // instead of suggesting a remote one.
      const names = { model: better.label ?? better.id, current: localModels[0].label ?? localModels[0].id };
      const language = decision.reasons.find((r) => r.rule === 'language-choice')?.params?.language;
      p.note(
        makeNote(
          'info',
          language
            ? { key: 'notes.betterLocalLanguage', params: { ...names, language } }
            : { key: 'notes.betterLocal', params: names },
          explainDecision(decision),
        ),
      );
      return null;
    }
    return this.escalate({
      conversationId: a.conversationId,
      history: a.history,
      reasons: explainDecision(decision),
      routerEscalates: decision.escalate,
      userAsked: false,
    });
  }

  /** "Not good enough — ask the larger model" on a local answer (`history` ends with the user's message). */
  async askLarger(history: ChatMessage[], conversationId: string | null): Promise<RemotePlan | null> {
    const decision = route({ messages: history, localModels: [], userAskedForRemote: true });
    return this.escalate({
      conversationId,
      history,
      reasons: decision.reasons.filter((r) => r.rule === 'user-asked'),
      routerEscalates: decision.escalate,
      userAsked: true,
    });
  }

  private async escalate(input: EscalateInput): Promise<RemotePlan | null> {
    const p = this.policy;
    const mode = p.mode();
    const base = {
      mode,
      routerVerdict: { escalate: input.routerEscalates },
      userAskedForRemote: input.userAsked,
    };
    if (mode === 'local-only') {
      // Nothing can be sent: a quiet hint that a larger model might do better, never a suggestion to act on.
      if (input.routerEscalates && p.explainLocalOnly) {
        const local = decideDispatch({
          ...base,
          consentState: { autoOptIn: false },
          conversationConsent: false,
        });
        p.note(makeNote('hint', local.message, input.reasons));
      }
      return null;
    }
    if (!input.routerEscalates && !input.userAsked) return null;
    const client = await p.client();
    if (!client || !input.conversationId) {
      p.note(makeNote('suggest', { key: 'notes.chooseRemote' }, input.reasons));
      return null;
    }
    const offline = p.unreachable(client);
    if (offline) {
      p.note(makeNote('info', { plain: offline }, input.reasons));
      return null;
    }
    const conversationId = input.conversationId;
    const decision = decideDispatch({
      ...base,
      ...p.ledger.dispatchState(conversationId, client.providerId, client.host),
    });
    if (decision.action === 'local') return null;
    const redactor = p.redactorFor(conversationId);
    let preview: ConsentPreview;
    try {
      preview = buildConsentPreview({
        client,
        conversationId,
        messages: input.history,
        redactor,
        redact: p.redact(),
        stream: true,
        // Reasoning models spend thinking tokens from this budget: the local default would cut them short.
        maxTokens: remoteAnswerBudget(p.maxTokens()),
      });
    } catch (e) {
      p.note(makeNote('error', { error: e }));
      return null;
    }
    if (decision.action === 'ask-consent') {
      const choice = await p.askConsent({ preview, reasons: input.reasons, userAsked: input.userAsked });
      if (choice === 'dismissed') return null;
      if (choice === 'cancel') {
        p.note(makeNote('info', { key: 'notes.cancelled' }));
        return null;
      }
      p.ledger.grant(choice, preview);
      p.granted?.(choice);
    }
    p.note(null);
    return {
      conversationId,
      preview,
      engine: consentedRemote({
        preview,
        client,
        ledger: p.ledger,
        mode,
        redactor: p.redact() ? redactor : undefined,
      }),
      modelId: `${preview.destination.providerLabel} · ${preview.destination.model}`,
    };
  }
}
