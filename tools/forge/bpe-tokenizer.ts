/**
 * A generated GPT-2-style byte-level BPE tokenizer of any vocabulary size (>= 259), so every preset can be forged
 * without downloaded files. Layout: ids 0-2 are the ChatML special tokens (`<|endoftext|>`, `<|im_start|>`,
 * `<|im_end|>`, as in SmolLM2), 3-258 the 256 byte tokens, then merges. Merges are learned from a small built-in
 * English text (so common words become single tokens); when the text has nothing left to merge, further merges
 * are synthesised deterministically (an existing token + a frequent letter) until the vocabulary is full.
 */
import { ForgeError } from './errors.ts';
import type { TokenizerFiles } from './types.ts';

export const BPE_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const MIN_BPE_VOCAB = BPE_SPECIAL_TOKENS.length + 256;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CORPUS = `
The small model runs in the browser and answers questions without sending your words to a server.
It is a good way to write a short summary, to sort a message into the right folder, or to reply to a customer
who wants to know where their order is. When the task is too hard, the app can ask a larger model, but only
after you say yes. Most of the time the small model is enough, and it costs nothing to run.
Once upon a time there was a little girl who lived in a house near the forest. Every morning she went out to
play with her dog, and every evening her mother made soup for dinner. One day she found a red ball under a tree.
She was very happy and she showed it to her friends. They played together until the sun went down.
What is the weather like today? It is warm and sunny in the afternoon, with a light wind from the west.
Tomorrow there will be rain in the morning and clouds in the evening, so take an umbrella with you.
Please tell me how to cook rice. First wash the rice in cold water, then put it in a pot with two cups of water
for each cup of rice. Bring it to a boil, cover the pot, and let it cook on low heat for about fifteen minutes.
Thank you for your help! You are welcome. Can I do anything else for you? Yes, please explain how this works.
The system has a user interface, a worker that runs the model, and a store that keeps the files on the device.
People use language models to translate text, to find information, to learn new things, and to write code.
A function takes some input and returns a result. The number of tokens in a sentence depends on the tokenizer.
We should always check our work, keep our promises, and be kind to the people around us, because it matters.
Time, year, people, way, day, man, woman, child, world, life, hand, part, place, case, week, company, system,
program, question, work, government, number, night, point, home, water, room, mother, area, money, story, fact,
month, lot, right, study, book, eye, job, word, business, issue, side, kind, head, house, service, friend, father,
power, hour, game, line, end, member, law, car, city, community, name, president, team, minute, idea, kid, body,
information, back, parent, face, others, level, office, door, health, person, art, war, history, party, result,
change, morning, reason, research, girl, guy, moment, air, teacher, force, education. Good, new, first, last,
long, great, little, own, other, old, right, big, high, different, small, large, next, early, young, important,
few, public, bad, same, able. Be, have, do, say, get, make, go, know, take, see, come, think, look, want, give,
use, find, tell, ask, work, seem, feel, try, leave, call. 1 2 3 4 5 6 7 8 9 10 100 2024 2025 3.14 50% $20.
`;

/** GPT-2's reversible byte -> printable character map. */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const map = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++)
    map[b] = keep.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return map;
}

const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function pretokenize(text: string, byteChars: string[]): string[] {
  const enc = new TextEncoder();
  return (text.match(GPT2_PATTERN) ?? []).map((piece) =>
    Array.from(enc.encode(piece), (b) => byteChars[b]!).join(''),
  );
}

/** Learns up to `maxMerges` merges from the corpus; ties break on the lexicographically smallest pair. */
function learnMerges(byteChars: string[], maxMerges: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const w of pretokenize(CORPUS, byteChars)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([w, c]) => ({ parts: Array.from(w), count: c }));
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const { parts, count } of words) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]}\u0000${parts[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    const merged = a + b;
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.parts.length; i++) {
        if (i + 1 < w.parts.length && w.parts[i] === a && w.parts[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(w.parts[i]!);
      }
      w.parts = out;
    }
  }
  return merges;
}

export interface GeneratedTokenizer extends TokenizerFiles {
  vocabSize: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
}

export function generateBpeTokenizer(vocabSize: number, chatTemplate = CHATML_TEMPLATE): GeneratedTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_BPE_VOCAB) {
    throw new ForgeError(
      'bad-shape',
      `A generated byte-level BPE needs a vocabulary of at least ${MIN_BPE_VOCAB} (3 special + 256 byte tokens); got ${vocabSize}.`,
    );
  }
  const byteChars = bytesToUnicode();
  const vocab = new Map<string, number>();
  BPE_SPECIAL_TOKENS.forEach((t) => vocab.set(t, vocab.size));
  for (const c of byteChars) vocab.set(c, vocab.size);
  const room = vocabSize - vocab.size;
  const merges = learnMerges(byteChars, room);
  for (const [a, b] of merges) vocab.set(a + b, vocab.size);
  if (vocab.size < vocabSize) {
    // Synthesised merges: token + letter, tokens in id order, letters by English frequency (space-prefixed too).
    const letters = 'etaoinshrdlcumwfgypbvkjxqz'.split('');
    const tokens = [...vocab.keys()].slice(BPE_SPECIAL_TOKENS.length);
    for (let t = 0; vocab.size < vocabSize; t++) {
      const a = tokens[t]!;
      for (const b of letters) {
        if (vocab.size >= vocabSize) break;
        if (vocab.has(a + b)) continue;
        merges.push([a, b]);
        vocab.set(a + b, vocab.size);
        tokens.push(a + b);
      }
    }
  }
  const added = BPE_SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const addedDecoder = Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest]));
  const tokenizerConfig = {
    add_prefix_space: false,
    added_tokens_decoder: addedDecoder,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: '<|im_start|>',
    chat_template: chatTemplate,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    model_max_length: 8192,
    pad_token: '<|im_end|>',
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: '<|endoftext|>',
    vocab_size: vocabSize,
  };
  const specialTokensMap = {
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|im_end|>',
    unk_token: '<|endoftext|>',
  };
  return {
    tokenizer,
    tokenizerConfig,
    specialTokensMap,
    vocabSize,
    bosTokenId: 1,
    eosTokenId: 2,
    padTokenId: 2,
  };
}
