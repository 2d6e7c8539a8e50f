import { describe, expect, it } from 'vitest';
import dataset from '../../escalation/router-dataset.json';
import { route, type LocalModelInfo } from '../../escalation/index.ts';
import { ROUTER_ACCURACY } from './router-accuracy.ts';

// The same models and pasted document as src/escalation/router.test.ts, so the figure is the one measured there.
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
  for (let i = 0, n = 0; n < words; i++) {
    out.push(FILLER[i % FILLER.length]);
    n += FILLER[i % FILLER.length].split(' ').length;
  }
  return out.join(' ');
}

interface Item {
  label: 'local' | 'remote';
  split: string;
  prompt: string;
  attachmentWords?: number;
}

describe('the router accuracy the app shows', () => {
  it('is the accuracy measured now on the held-out prompts', () => {
    const items = (dataset.items as Item[]).filter((i) => i.split === ROUTER_ACCURACY.split);
    const right = items.filter((item) => {
      const content = item.attachmentWords
        ? `${item.prompt}\n\n${attachment(item.attachmentWords)}`
        : item.prompt;
      const d = route({ messages: [{ role: 'user', content }], localModels: LOCAL_MODELS });
      return (d.escalate ? 'remote' : 'local') === item.label;
    }).length;
    expect(items.length).toBe(ROUTER_ACCURACY.n);
    expect((right / items.length).toFixed(3)).toBe(ROUTER_ACCURACY.accuracy.toFixed(3));
  });
});
