/**
 * On WASM a model's weights reach ONNX Runtime as external data. The first load reads the stored file whole to split
 * off its graph, and keeps that graph in the store; every later load reads only the graph. Either way ONNX Runtime
 * then reads the weights from the stored file one at a time as it asks for them (workers/backends/weights-source.ts),
 * so the file is not held in memory beside ORT's copy. What that saves is measured by the bench (PSS); this checks
 * that each path is taken and that the second load answers exactly as the first.
 */
import { expect, test } from './fixtures.ts';
import { HUB_URL, SMOLLM_SHAPED_MODEL, TINY_MODEL } from './env.ts';

type PetitClass = typeof import('../src/index.ts').PetitEngine;

const CASES = [
  { model: TINY_MODEL, dtype: 'q8' },
  { model: TINY_MODEL, dtype: 'fp32' },
  // The q4 file runs as its q8 rewrite, itself a file the store derives and keeps: the graph is split from that.
  { model: SMOLLM_SHAPED_MODEL, dtype: 'q4' },
] as const;

for (const { model, dtype } of CASES) {
  test(`${model} ${dtype}: a second load streams the weights from the store and answers as the first did`, async ({
    page,
  }) => {
    await page.goto('/api.html');
    await expect(page.locator('#state')).toContainText('Ready');
    const loads = await page.evaluate(
      async ({ model, hub, dtype }) => {
        const { PetitEngine } = window as unknown as { PetitEngine: PetitClass };
        const request = {
          messages: [{ role: 'user' as const, content: 'Tell me about the sea.' }],
          max_tokens: 6,
          temperature: 0,
        };
        const loads: { phase: string; answer: string }[] = [];
        for (let i = 0; i < 2; i++) {
          const engine = new PetitEngine({ hubUrl: hub });
          await engine.load({ id: model, dtype, device: 'wasm' });
          const phase = (await engine.runtimeInfo())?.loadPhases?.find((p) => p.name.startsWith('weights'));
          const answer = (await engine.chat.completions.create(request)).choices[0].message.content;
          await engine.unload();
          engine.terminate();
          loads.push({ phase: phase?.name ?? '(no weights phase)', answer });
        }
        return loads;
      },
      { model, hub: HUB_URL, dtype },
    );
    // The first load splits the graph off (a fresh q4 rewrite is in memory already: its weights come from there).
    expect(loads[0].phase).toMatch(
      dtype === 'q4'
        ? /^weights into an ONNX Runtime session, the graph split off the file \(kept for the next load\)$/
        : /^weights into an ONNX Runtime session, the graph split off the file \(kept for the next load\), \d+ weights read from the store one at a time$/,
    );
    expect(loads[1].phase).toMatch(
      /^weights into an ONNX Runtime session, \d+ weights read from the store one at a time$/,
    );
    expect(loads[1].answer).not.toBe('');
    expect(loads[1].answer).toBe(loads[0].answer);
  });
}
