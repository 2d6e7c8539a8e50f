import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModelSource } from '../tools/forge/forge.ts';

export const FIXTURES_DIR = fileURLToPath(new URL('../../shared/fixtures', import.meta.url));

/** The converted stories260K model, or null when ../shared/fixtures is absent (tests then skip). */
export async function storiesSource(): Promise<ModelSource | null> {
  if (!existsSync(`${FIXTURES_DIR}/llama2c/stories260K.bin`)) return null;
  const converter = (await import('../tools/forge/llama2c.ts')) as Record<string, unknown>;
  const make = converter.llama2cSource as ((dir: string) => ModelSource) | undefined;
  return make ? make(`${FIXTURES_DIR}/llama2c`) : null;
}
