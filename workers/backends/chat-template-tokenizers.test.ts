import { PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/engine/protocol.ts';
import { loadTokenizer } from '../../tools/forge/tokenizers.ts';
import { encodeChat } from './chat-template.ts';

/** Conversations that exercise the templates' branches: a system prompt or none, several turns, odd text. */
const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'Hi' }],
  [
    { role: 'system', content: 'You answer in French.' },
    { role: 'user', content: 'What is the sea?' },
    { role: 'assistant', content: 'La mer.' },
    { role: 'user', content: '  And the sky? <|im_end|> {{ x }} é 😀\n' },
  ],
];

// The real templates of the catalog's families (the forge's tokenizers): Petit's budgeted render must give the
// very tokens transformers.js's own apply_chat_template gives.
describe.each(['bpe', 'qwen2.5', 'llama3.2'] as const)('%s chat template', (name) => {
  it("gives the same tokens as transformers.js's apply_chat_template", () => {
    const files = loadTokenizer(name, name === 'bpe' ? 1024 : 1 << 20);
    const tokenizer = new PreTrainedTokenizer(files.tokenizer, files.tokenizerConfig);
    expect(typeof tokenizer.chat_template).toBe('string');
    for (const messages of CONVERSATIONS) {
      const ours = encodeChat(tokenizer, messages);
      const theirs = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: true, return_dict: true }) as unknown as { input_ids: Tensor; attention_mask: Tensor }; // prettier-ignore
      expect(Array.from(ours.input_ids.data as BigInt64Array)).toEqual(
        Array.from(theirs.input_ids.data as BigInt64Array),
      );
      expect(ours.attention_mask.dims).toEqual(theirs.attention_mask.dims);
    }
  });
});
