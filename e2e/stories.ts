import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelSource } from '../tools/forge/forge.ts';
import {
  LLAMA2C_FIXTURES_DIR,
  STORIES_FILES,
  llama2cFixturesAvailable,
  llama2cSource,
} from '../tools/forge/llama2c.ts';
import {
  refGenerate,
  refReadCheckpoint,
  refReadTokenizer,
  type RefGeneration,
} from '../tools/forge/llama2c-reference.ts';

export const STORIES_SKIP_REASON = `../shared/fixtures/llama2c is absent (${LLAMA2C_FIXTURES_DIR}): the stories260K tests need it`;

export function storiesAvailable(): boolean {
  return llama2cFixturesAvailable();
}

/** The converted stories260K model, or null when ../shared/fixtures is absent (tests then skip). */
export function storiesSource(): ModelSource | null {
  return storiesAvailable() ? llama2cSource() : null;
}

/** What karpathy/llama2.c's run.c prints for `prompt` at temperature 0 (the test oracle, not the ONNX model). */
export function llama2cReference(prompt: string, newTokens: number): RefGeneration {
  const model = refReadCheckpoint(readFileSync(join(LLAMA2C_FIXTURES_DIR, STORIES_FILES.checkpoint)));
  const tokenizer = refReadTokenizer(
    readFileSync(join(LLAMA2C_FIXTURES_DIR, STORIES_FILES.tokenizer)),
    model.vocab,
  );
  return refGenerate(model, tokenizer, prompt, newTokens);
}
