/**
 * The router's labelled prompts as the training and evaluation scripts (and tests) read them: the training set
 * (src/escalation/router-dataset.json) and the evaluation set (src/escalation/router-eval-set.json), with the
 * pasted documents that `attachmentWords` stands for.
 */
import type { ChatMessage } from '../../src/engine/protocol.ts';
import train from '../../src/escalation/router-dataset.json';

export type Label = 'local' | 'remote';

export interface LabelledPrompt {
  id: number;
  label: Label;
  language: string;
  category?: string;
  split?: string;
  prompt: string;
  attachmentWords?: number;
}

// A pasted document for the "summarise this long report" items: plain business prose, no cue words added.
const FILLER = [
  'The team met on Tuesday to review the quarter.',
  'Revenue in the northern region grew while the south stayed flat.',
  'Several customers asked for longer opening hours at the weekend.',
  'The warehouse move is expected to finish before the end of the month.',
  'Staff turnover was lower than last year, partly thanks to the new training scheme.',
  'Two suppliers raised their prices, and one delivery was delayed by a week.',
  'The board approved the proposal to open a second office in the autumn.',
  'Feedback from the pilot was mostly positive, although the onboarding felt slow to some users.',
];

export function attachment(words: number): string {
  const out: string[] = [];
  for (let i = 0, n = 0; n < words; i++) {
    out.push(FILLER[i % FILLER.length]);
    n += FILLER[i % FILLER.length].split(' ').length;
  }
  return out.join(' ');
}

export function messagesOf(item: LabelledPrompt): ChatMessage[] {
  const content = item.attachmentWords
    ? `${item.prompt}\n\n${attachment(item.attachmentWords)}`
    : item.prompt;
  return [{ role: 'user', content }];
}

export const TRAINING_SET: LabelledPrompt[] = (train.items as LabelledPrompt[]).map((i) => ({
  ...i,
  language: i.language ?? 'en',
}));

export interface Scores {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  confusion: { tp: number; fp: number; tn: number; fn: number };
}

/** Accuracy, and precision and recall of "needs a large model" (remote). */
export function score(pairs: readonly { label: Label; predicted: Label }[]): Scores {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const { label, predicted } of pairs) {
    if (predicted === 'remote') {
      if (label === 'remote') tp++;
      else fp++;
    } else if (label === 'local') tn++;
    else fn++;
  }
  const n = pairs.length;
  return {
    n,
    accuracy: n ? (tp + tn) / n : 0,
    precision: tp + fp ? tp / (tp + fp) : 0,
    recall: tp + fn ? tp / (tp + fn) : 0,
    confusion: { tp, fp, tn, fn },
  };
}
