import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../engine/protocol.ts';
import dataset from './router-dataset.json';
import {
  ESCALATION_THRESHOLD,
  ROUTER_RULES,
  chooseLocalModel,
  route,
  type LocalModelInfo,
} from './router.ts';

/** What a typical user has downloaded: the catalogue's small models. */
const LOCAL_MODELS: LocalModelInfo[] = [
  {
    id: 'SmolLM2-135M-Instruct',
    parameters: 135e6,
    contextLength: 8192,
    goodFor: ['chat', 'rewrite', 'classify'],
  },
  {
    id: 'SmolLM2-360M-Instruct',
    parameters: 362e6,
    contextLength: 8192,
    goodFor: ['chat', 'rewrite', 'classify', 'summarise', 'extract'],
  },
  {
    id: 'Qwen2.5-0.5B-Instruct',
    parameters: 494e6,
    contextLength: 32768,
    goodFor: ['chat', 'rewrite', 'summarise', 'classify', 'extract', 'multilingual', 'code', 'maths'],
  },
];

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

// A pasted document for the "summarise this long report" items: plain business prose, no trigger words added.
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
function attachment(words: number): string {
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < words; i++) {
    const s = FILLER[i % FILLER.length];
    out.push(s);
    n += s.split(' ').length;
  }
  return out.join(' ');
}

interface Item {
  id: number;
  label: 'local' | 'remote';
  category: string;
  split: 'tune' | 'holdout';
  prompt: string;
  attachmentWords?: number;
}
const items = dataset.items as Item[];

function promptOf(item: Item): string {
  return item.attachmentWords ? `${item.prompt}\n\n${attachment(item.attachmentWords)}` : item.prompt;
}

function evaluate(subset: Item[]) {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  const wrong: string[] = [];
  for (const item of subset) {
    const d = route({ messages: user(promptOf(item)), localModels: LOCAL_MODELS });
    const predicted = d.escalate ? 'remote' : 'local';
    if (predicted === 'remote' && item.label === 'remote') tp++;
    else if (predicted === 'remote') fp++;
    else if (item.label === 'local') tn++;
    else fn++;
    if (predicted !== item.label)
      wrong.push(
        `#${item.id} ${item.label} [${item.category}] ${d.score} ${d.reasons.map((r) => r.rule).join(',')} | ${item.prompt.slice(0, 90)}`,
      );
  }
  const n = subset.length;
  return {
    n,
    accuracy: (tp + tn) / n,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    confusion: { tp, fp, tn, fn },
    wrong,
  };
}

const fmt = (x: number) => x.toFixed(3);

describe('router on the labelled set', () => {
  it('is balanced, and has at least 300 prompts split into tune and holdout halves', () => {
    expect(items.length).toBeGreaterThanOrEqual(300);
    const remote = items.filter((i) => i.label === 'remote').length;
    expect(Math.abs(remote / items.length - 0.5)).toBeLessThan(0.05);
    const tune = items.filter((i) => i.split === 'tune').length;
    expect(Math.abs(tune / items.length - 0.5)).toBeLessThan(0.05);
    expect(new Set(items.map((i) => i.prompt)).size).toBe(items.length);
  });

  // Floors (stated in README.md): accuracy, precision and recall ≥ 0.9 on each half.
  for (const split of ['tune', 'holdout'] as const) {
    it(`reaches the stated floors on the ${split} half`, () => {
      const r = evaluate(items.filter((i) => i.split === split));
      console.log(
        `router ${split}: n=${r.n} accuracy=${fmt(r.accuracy)} precision=${fmt(r.precision)} recall=${fmt(r.recall)} ` +
          JSON.stringify(r.confusion),
      );
      if (process.env.ROUTER_SHOW_ERRORS === split) console.log(r.wrong.join('\n'));
      expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(r.precision).toBeGreaterThanOrEqual(0.9);
      expect(r.recall).toBeGreaterThanOrEqual(0.9);
    });
  }
});

describe('router rules', () => {
  const reasonsOf = (content: string, extra: Partial<Parameters<typeof route>[0]> = {}) =>
    route({ messages: user(content), localModels: LOCAL_MODELS, ...extra });

  it('keeps everyday requests local on the smallest model and explains nothing scary', () => {
    const d = reasonsOf('Rewrite this more politely: send me the report now.');
    expect(d.escalate).toBe(false);
    expect(d.localModelId).toBe('SmolLM2-135M-Instruct');
    expect(d.score).toBeLessThan(ESCALATION_THRESHOLD);
  });

  it('always escalates when the user asks for the large model, even for a greeting', () => {
    const d = reasonsOf('hello', { userAskedForRemote: true });
    expect(d.escalate).toBe(true);
    expect(d.reasons.map((r) => r.rule)).toContain('user-asked');
    expect(d.reasons.find((r) => r.rule === 'user-asked')?.explanation).toBe(
      'You asked for the large model.',
    );
  });

  it('explains a maths escalation with a sentence the UI can show', () => {
    const d = reasonsOf(
      "Solve the differential equation y'' + y = 0 with y(0)=1 and y'(0)=2, and show each step.",
    );
    expect(d.escalate).toBe(true);
    const maths = d.reasons.find((r) => r.rule === 'advanced-maths');
    expect(maths).toEqual({
      rule: 'advanced-maths',
      weight: ROUTER_RULES['advanced-maths'].weight,
      explanation: 'The prompt asks for multi-step maths.',
    });
  });

  it('picks the smallest model that can do the kind of task (code → the model tagged for code)', () => {
    const d = reasonsOf('How do I comment out a line in JavaScript?');
    expect(d.escalate).toBe(false);
    expect(d.localModelId).toBe('SmolLM2-135M-Instruct');
    const code = reasonsOf(
      'Write a Python function that merges overlapping intervals and returns them sorted, with tests.',
    );
    expect(code.escalate).toBe(true);
    expect(code.localModelId).toBe('Qwen2.5-0.5B-Instruct');
  });

  it('escalates a conversation longer than every local context, and names the numbers', () => {
    const long = attachment(30_000);
    const d = reasonsOf(`Here are my notes. ${long}`);
    const overflow = d.reasons.find((r) => r.rule === 'context-overflow');
    expect(d.escalate).toBe(true);
    expect(overflow?.explanation).toMatch(
      /about \d+ tokens\) is longer than any downloaded model can read \(32768 at most\)/,
    );
    // The model with the largest context is still offered for a local attempt.
    expect(d.localModelId).toBe('Qwen2.5-0.5B-Instruct');
  });

  it('uses the local answer confidence: a confident answer stays local, an unsure one escalates', () => {
    const q = 'What is the capital of Australia?';
    expect(reasonsOf(q, { confidence: { meanLogprob: -0.2 } }).escalate).toBe(false);
    const unsure = reasonsOf(q, { confidence: { meanLogprob: -2.4 } });
    expect(unsure.escalate).toBe(true);
    expect(unsure.reasons.find((r) => r.rule === 'low-confidence')?.explanation).toBe(
      'The local model was unsure of its answer (average token probability 9 %).',
    );
    expect(reasonsOf(q, { confidence: { meanEntropy: 3.1 } }).escalate).toBe(true);
  });

  it('flags rare languages by name and leaves short requests in common languages alone', () => {
    const d = reasonsOf('Translate into Yoruba: the clinic is closed on Monday.');
    expect(d.escalate).toBe(true);
    expect(d.reasons.find((r) => r.rule === 'rare-language')?.explanation).toBe(
      'It asks for Yoruba, a language small models barely know.',
    );
    expect(reasonsOf('Translate into French: the clinic is closed on Monday.').escalate).toBe(false);
  });

  it('recognises requests for up-to-date facts', () => {
    expect(reasonsOf('What is the exchange rate between the dollar and the euro?').escalate).toBe(true);
    expect(reasonsOf('Hi! How are you today?').escalate).toBe(false);
  });

  it('with no model downloaded, says so and has no local model to offer', () => {
    const d = route({ messages: user('hello'), localModels: [] });
    expect(d.localModelId).toBeNull();
    expect(d.reasons[0].rule).toBe('no-local-model');
  });

  it('chooseLocalModel prefers coverage of the needed tags, then size', () => {
    const needsCode = chooseLocalModel(LOCAL_MODELS, 100, new Set(['code']));
    expect(needsCode?.id).toBe('Qwen2.5-0.5B-Instruct');
    expect(chooseLocalModel(LOCAL_MODELS, 100, new Set())?.id).toBe('SmolLM2-135M-Instruct');
    expect(chooseLocalModel(LOCAL_MODELS, 20_000, new Set())?.id).toBe('Qwen2.5-0.5B-Instruct');
  });
});
