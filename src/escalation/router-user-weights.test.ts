import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../engine/protocol.ts';
import { route, type LocalModelInfo, type UserRouterWeights } from './router.ts';
import {
  checkUserWeights,
  describeUserWeights,
  learnedText,
  emptyUserWeights,
  learnFromFeedback,
  type Feedback,
} from './router-user-weights.ts';

const MODELS: LocalModelInfo[] = [
  { id: 'smollm2-360m-instruct', parameters: 362e6, contextLength: 8192, goodFor: ['chat', 'rewrite'] },
];
const user = (content: string): ChatMessage[] => [{ role: 'user', content }];
const decide = (text: string, userWeights?: UserRouterWeights) =>
  route({ messages: user(text), localModels: MODELS, userWeights });

function correct(weights: UserRouterWeights, prompts: string[], feedback: Feedback): UserRouterWeights {
  for (const p of prompts) weights = learnFromFeedback(weights, decide(p, weights), feedback);
  return weights;
}

// A developer for whom the small model's code answers were good enough, ten times.
const CODE_FINE = [
  'Write a Python function that reverses the words in a sentence.',
  'Écris une fonction JavaScript qui compte les voyelles dans une chaîne.',
  'Write a bash script that renames every .txt file in a folder to .md.',
  'Escribe una función en Python que devuelva el máximo de una lista sin usar max().',
  'Schreibe eine Funktion in TypeScript, die prüft, ob ein Jahr ein Schaltjahr ist.',
  'Write a SQL query that lists customers who ordered more than three times.',
  'Create a small React component that shows a counter with a button.',
  'Write a Go function that sums the numbers in a slice.',
  'Write a regular expression for a UK postcode.',
  'Implement a function in Java that checks whether a number is even.',
];
// Requests of the same kind the corrections never saw.
const CODE_SIMILAR = [
  'Write a Python function that removes duplicates from a list while keeping the order.',
  'Écris une fonction Python qui convertit des degrés Celsius en Fahrenheit.',
  'Schreibe ein kleines Bash-Skript, das alle Bilder in einem Ordner zählt.',
];

describe('per-user router weights', () => {
  it('ten "this answer was fine" on code requests keep similar code requests on this device', () => {
    for (const p of CODE_SIMILAR) expect(decide(p).escalate, p).toBe(true);
    const learned = correct(emptyUserWeights(), CODE_FINE, 'fine');
    expect(learned.corrections).toEqual({ needsLarge: 0, fine: 10 });
    for (const p of CODE_SIMILAR) {
      const d = decide(p, learned);
      expect(d.escalate, p).toBe(false);
      expect(d.reasons.find((r) => r.rule === 'user-learned')?.explanation).toBe(
        "You said 10 times that a small model's answer was fine for requests like this.",
      );
    }
    // Other kinds of request are not moved across: a legal question still goes to the large model.
    const legal =
      'My landlord kept my deposit and says I damaged the floor, which was already scratched. What are my rights?';
    expect(decide(legal).escalate).toBe(true);
    expect(decide(legal, learned).escalate).toBe(true);
  });

  it('ten "not good enough" on short history questions send similar questions to the large model', () => {
    const asked = [
      'Who was the first emperor of Rome?',
      'When did the Ottoman Empire end?',
      'Qui était Charlemagne ?',
      '¿Quién fue Simón Bolívar?',
      'Wer war Otto von Bismarck?',
      'What was the Hanseatic League?',
      'Who was Genghis Khan?',
      'When was the Magna Carta signed?',
      "Qu'est-ce que la guerre de Cent Ans ?",
      '¿Qué fue la Reconquista?',
    ];
    const similar = ['Who was Catherine the Great?', '¿Quién fue Hernán Cortés?'];
    for (const p of similar) expect(decide(p).escalate, p).toBe(false);
    const learned = correct(emptyUserWeights(), asked, 'needs-large');
    for (const p of similar) expect(decide(p, learned).escalate, p).toBe(true);
    // A greeting stays local.
    expect(decide('hello!', learned).escalate).toBe(false);
  });

  it('says in words what it learned, and reset is the empty set of weights', () => {
    const learned = correct(emptyUserWeights(), CODE_FINE, 'fine');
    const shown = describeUserWeights(learned);
    expect(learnedText(shown[0], 'en')).toMatch(
      /^Requests for programming work: more often kept on this device \(-\d\.\d\d\)$/,
    );
    expect(describeUserWeights(emptyUserWeights())).toEqual([]);
  });

  it('accepts only well-formed weights (for storage and import)', () => {
    const learned = correct(emptyUserWeights(), CODE_FINE.slice(0, 2), 'fine');
    expect(checkUserWeights(JSON.parse(JSON.stringify(learned)))).toEqual({ ok: true, value: learned });
    expect(checkUserWeights({ ...learned, weights: { 'no-such-feature': 1 } })).toEqual({
      ok: false,
      why: '"weights" names an unknown feature "no-such-feature"',
    });
    expect(checkUserWeights({ ...learned, corrections: { needsLarge: -1, fine: 0 } }).ok).toBe(false);
    expect(checkUserWeights('x').ok).toBe(false);
  });
});
