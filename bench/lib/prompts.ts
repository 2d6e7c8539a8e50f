/**
 * Prompts of an exact token count, built with the model's own tokenizer and chat template (transformers.js in Node),
 * so every runtime reads the same tokens: Petit and transformers.js get the messages, onnxruntime-node the ids,
 * wllama the templated text (it takes no token arrays).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { mulberry32 } from '../../tools/forge/random-weights.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Prompt {
  messages: ChatMessage[];
  /** The chat-templated prompt as token ids. */
  ids: number[];
  /** The same prompt as text (special tokens written out). */
  text: string;
  variant: number;
}

const WORDS = (
  'the of and to in is it you that he was for on are with as his they be at one have this from or had by word but ' +
  'what some we can out other were all there when up use your how said an each she which do their time if will way ' +
  'about many then them write would like so these her long make thing see him two has look more day could go come ' +
  'did number sound no most people my over know water than call first who may down side been now find any new work ' +
  'part take get place made live where after back little only round man year came show every good me give our under ' +
  'name very through just form great think say help low line turn cause much mean before move right boy old too same ' +
  'tell does set three want air well also play small end put home read hand port large spell add even land here must ' +
  'big high such follow act why ask men change went light kind off need house picture try us again animal point'
).split(' ');

export class PromptBuilder {
  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    /** Ids that end a reply in any runtime: every special token and the configured end-of-sequence ids. */
    readonly stopIds: Set<number>,
  ) {}

  /** `hubRoot/<repo>` is a forged model folder. */
  static async create(hubRoot: string, repo: string): Promise<PromptBuilder> {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = `${hubRoot}/`;
    const tokenizer = await AutoTokenizer.from_pretrained(repo);
    const dir = join(hubRoot, repo);
    const stop = new Set<number>();
    const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
      added_tokens?: { id: number; special?: boolean }[];
    };
    for (const t of tok.added_tokens ?? []) if (t.special) stop.add(t.id);
    for (const file of ['config.json', 'generation_config.json']) {
      try {
        const eos = (
          JSON.parse(readFileSync(join(dir, file), 'utf8')) as { eos_token_id?: number | number[] }
        ).eos_token_id;
        for (const id of Array.isArray(eos) ? eos : eos === undefined ? [] : [eos]) stop.add(id);
      } catch {
        // generation_config.json is optional.
      }
    }
    return new PromptBuilder(tokenizer, stop);
  }

  private template(messages: ChatMessage[], tokenize: true): number[];
  private template(messages: ChatMessage[], tokenize: false): string;
  private template(messages: ChatMessage[], tokenize: boolean): number[] | string {
    const out = this.tokenizer.apply_chat_template(messages, {
      add_generation_prompt: true,
      tokenize,
      return_tensor: false,
      return_dict: false,
    });
    return out as unknown as number[] | string;
  }

  private messagesOf(words: string[]): ChatMessage[] {
    return [{ role: 'user', content: words.join(' ') }];
  }

  /** A prompt of exactly `tokens` tokens once the chat template is applied; `variant` changes the words. */
  build(tokens: number, variant = 0): Prompt {
    if (this.template(this.messagesOf([]), true).length > tokens)
      throw new Error(`The chat template alone is longer than ${tokens} tokens.`);
    // Deterministic retries with other word draws when a draw cannot land on the exact count.
    for (let attempt = 0; attempt < 20; attempt++) {
      const next = mulberry32(0x5eed + variant * 7919 + attempt * 104729);
      const words = this.fit(tokens, () => next() / 2 ** 32);
      if (!words) continue;
      const messages = this.messagesOf(words);
      const ids = this.template(messages, true);
      if (ids.length === tokens) return { messages, ids, text: this.template(messages, false), variant };
    }
    throw new Error(`Could not build a prompt of exactly ${tokens} tokens.`);
  }

  /** Words whose templated prompt is exactly `tokens` long, or null. */
  private fit(tokens: number, random: () => number): string[] | null {
    const pool = Array.from({ length: tokens + 64 }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    const count = (n: number) => this.template(this.messagesOf(pool.slice(0, n)), true).length;
    // Largest n whose prompt fits, then swap the next word until the count is exact.
    let lo = 0;
    let hi = pool.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (count(mid) <= tokens) lo = mid;
      else hi = mid - 1;
    }
    for (let attempt = 0; count(lo) < tokens && attempt < WORDS.length; attempt++) {
      pool[lo] = WORDS[attempt]!;
      if (count(lo + 1) <= tokens) lo++;
    }
    return count(lo) === tokens ? pool.slice(0, lo) : null;
  }

  /**
   * The user messages of the chat scenario: turn `index` adds about `tokens` tokens to the templated conversation
   * (its own template tokens included), with words drawn afresh for every turn.
   */
  chatTurn(index: number, tokens: number): string {
    const overhead = this.template(this.messagesOf([]), true).length;
    return this.build(overhead + tokens, 1000 + index).messages[0]!.content;
  }

  /** Tokens of plain generated text (no template, no special tokens added). */
  encodeText(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  /**
   * Ids of byte-level BPE tokens that are not valid UTF-8 on their own. Random weights emit them; llama.cpp's
   * server code (inside wllama) then fails to JSON-encode the reply, so wllama runs with these banned.
   */
  invalidUtf8Ids(): number[] {
    const byteOf = new Map<string, number>();
    // GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards.
    let extra = 0;
    for (let b = 0; b < 256; b++) {
      const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      byteOf.set(String.fromCodePoint(printable ? b : 256 + extra++), b);
    }
    const vocab = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
    const entries = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const bad: number[] = [];
    for (const [token, id] of entries) {
      if (this.stopIds.has(id)) continue;
      const bytes = [...token].map((ch) => byteOf.get(ch));
      if (bytes.some((b) => b === undefined)) continue;
      try {
        decoder.decode(new Uint8Array(bytes as number[]));
      } catch {
        bad.push(id);
      }
    }
    return bad;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: false });
  }

  /** Index of the first id that would end a reply, or -1. */
  firstStop(ids: number[]): number {
    return ids.findIndex((id) => this.stopIds.has(id));
  }
}
