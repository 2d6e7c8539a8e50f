/** The router's evaluation on a labelled set, shared by the script, the test and the figure the app shows. */
import evalSet1 from '../../src/escalation/router-eval-set.json';
import evalSet2 from '../../src/escalation/router-eval-set-2.json';
import evalSet3 from '../../src/escalation/router-eval-set-3.json';
import { route, type LocalModelInfo } from '../../src/escalation/router.ts';
import { messagesOf, score, type LabelledPrompt, type Scores } from './dataset.ts';

/**
 * The set that measures the current router: written after it was frozen, never read to change it.
 * EVAL_SET_1 measured router v1; v2 was changed after its errors there were read, so it is kept only for the record.
 */
export const EVAL_SET: LabelledPrompt[] = evalSet2.items as LabelledPrompt[];
export const EVAL_SET_1: LabelledPrompt[] = evalSet1.items as LabelledPrompt[];
/**
 * Written blind: by a helper that never read the router's code, features, training data or earlier sets, channel
 * first (search box, voice assistant, support chat, pasted homework and code, forums…). Measured once, 2026-12-03.
 */
export const EVAL_SET_BLIND: LabelledPrompt[] = evalSet3.items as LabelledPrompt[];

/** What a typical user has downloaded: the catalog's three smallest chat models, with their languages. */
export const EVAL_MODELS: LocalModelInfo[] = [
  {
    id: 'smollm2-135m-instruct',
    parameters: 134.5e6,
    contextLength: 8192,
    goodFor: ['chat', 'rewrite', 'classify'],
    languages: ['en'],
  },
  {
    id: 'smollm2-360m-instruct',
    parameters: 361.8e6,
    contextLength: 8192,
    goodFor: ['chat', 'rewrite', 'classify', 'summarise', 'extract'],
    languages: ['en'],
  },
  {
    id: 'qwen2.5-0.5b-instruct',
    parameters: 494e6,
    contextLength: 32768,
    goodFor: ['chat', 'rewrite', 'summarise', 'classify', 'extract', 'multilingual', 'code', 'maths'],
    languages: ['en', 'fr', 'es', 'de', 'it', 'pt', 'zh', 'ja', 'ko', 'ru', 'ar'],
  },
];

export interface Evaluation {
  overall: Scores;
  byLanguage: Record<string, Scores>;
  wrong: { item: LabelledPrompt; score: number; reasons: string }[];
}

export function evaluateRouter(items: LabelledPrompt[], models: LocalModelInfo[]): Evaluation {
  const rows = items.map((item) => {
    const d = route({ messages: messagesOf(item), localModels: models });
    return { item, d, label: item.label, predicted: d.escalate ? ('remote' as const) : ('local' as const) };
  });
  const languages = [...new Set(items.map((i) => i.language))];
  return {
    overall: score(rows),
    byLanguage: Object.fromEntries(
      languages.map((l) => [l, score(rows.filter((r) => r.item.language === l))]),
    ),
    wrong: rows
      .filter((r) => r.label !== r.predicted)
      .map((r) => ({
        item: r.item,
        score: r.d.score,
        reasons: r.d.reasons
          .filter((x) => Math.abs(x.weight) >= 0.3)
          .map((x) => `${x.rule}:${x.weight}`)
          .join(','),
      })),
  };
}
