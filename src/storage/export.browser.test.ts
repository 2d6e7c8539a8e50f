import { describe, expect, test } from 'vitest';
import { isPetitError } from '../engine/errors.ts';
import { fresh } from './fresh-storage.test-helper.ts';
import type { ConversationExport, MessageStatus, PetitStorage } from './index.ts';

/** Deterministic PRNG (mulberry32) so a failure can be reproduced. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Text that breaks naive exporters: markers, comment ends, CRLF, fences, emoji, RTL, NUL, lone surrogates.
const AWKWARD = [
  'plain words',
  '<!-- petit:message {"id":"fake","length":3} -->',
  'ends a comment --> here',
  'line one\r\nline two\r\n',
  '```js\nconsole.log("hi")\n```',
  '# Not a heading of ours\n\n## User\n',
  'émoji 😀 and 中文 and עברית',
  'nul \u0000 and bell \u0007',
  'lone \ud800 surrogate',
  '',
  '\n\n\n',
  '<img src=x onerror="alert(1)">',
];

async function fill(storage: PetitStorage, count: number, seed: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  for (let i = 0; i < count; i++) {
    const c = await storage.conversations.create({
      title: `${pick(AWKWARD)} #${i}`.trim(),
      modelId: random() < 0.2 ? null : pick(['smollm2-135m', 'qwen2.5-0.5b']),
    });
    const n = Math.floor(random() * 6);
    for (let j = 0; j < n; j++) {
      const role = j % 2 === 0 ? 'user' : 'assistant';
      const status: MessageStatus = role === 'user' ? 'complete' : pick(['complete', 'interrupted', 'error']);
      await storage.conversations.appendMessage(c.id, {
        role,
        content: Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(AWKWARD)).join(' '),
        status,
        source: role === 'assistant' && random() < 0.3 ? 'remote' : 'on-device',
        ...(role === 'assistant' ? { modelId: pick(['smollm2-135m', 'gpt-big']) } : {}),
        ...(status === 'complete' && role === 'assistant'
          ? {
              usage: {
                prompt_tokens: j * 10,
                completion_tokens: 7,
                total_tokens: j * 10 + 7,
                extra: {
                  time_to_first_token_ms: 12.5,
                  prefill_tokens_per_s: 180.25,
                  decode_tokens_per_s: 30.5,
                  total_ms: 400,
                },
              },
            }
          : {}),
        ...(status === 'error' ? { error: { code: 'worker-crashed', message: 'The model stopped.' } } : {}),
      });
    }
    if (random() < 0.1) await storage.conversations.rename(c.id, `Renamed ${i}`);
  }
}

const withoutTime = (data: ConversationExport) => ({ ...data, exportedAt: 0 });

describe('export and import', () => {
  test('100 generated conversations round-trip exactly through JSON and through Markdown', async () => {
    let clock = 1_700_000_000_000;
    const source = await fresh({ now: () => (clock += 7) });
    await fill(source, 100, 42);
    const original = await source.conversations.exportData();
    expect(original.conversations).toHaveLength(100);
    expect(original.conversations.reduce((n, c) => n + c.messages.length, 0)).toBeGreaterThan(150);
    // The export is what `get` returns, conversation by conversation.
    for (const c of original.conversations.slice(0, 10))
      expect(await source.conversations.get(c.id)).toEqual(c);

    const json = await fresh();
    expect(await json.conversations.importJson(await source.conversations.exportJson())).toEqual({
      imported: 100,
      skipped: 0,
      renamed: {},
    });
    expect(withoutTime(await json.conversations.exportData())).toEqual(withoutTime(original));
    expect(await json.conversations.list()).toEqual(await source.conversations.list());

    const markdown = await fresh();
    const text = await source.conversations.exportMarkdown();
    expect(text).toContain('## Assistant (smollm2-135m)');
    await markdown.conversations.importMarkdown(text);
    expect(withoutTime(await markdown.conversations.exportData())).toEqual(withoutTime(original));
  });

  test('importing into a store that has the same conversations copies, skips or overwrites as asked', async () => {
    const storage = await fresh();
    const c = await storage.conversations.create({ title: 'Original' });
    await storage.conversations.appendMessage(c.id, { role: 'user', content: 'hi' });
    const exported = await storage.conversations.exportJson();
    await storage.conversations.rename(c.id, 'Changed here');

    expect(await storage.conversations.importJson(exported, { onConflict: 'skip' })).toMatchObject({
      imported: 0,
      skipped: 1,
    });
    const copied = await storage.conversations.importJson(exported);
    const copyId = copied.renamed[c.id];
    expect(copyId).toBeTruthy();
    expect((await storage.conversations.get(copyId))?.messages.map((m) => m.content)).toEqual(['hi']);
    await storage.conversations.importJson(exported, { onConflict: 'overwrite' });
    expect((await storage.conversations.get(c.id))?.title).toBe('Original');
    expect(await storage.conversations.list()).toHaveLength(2);
  });

  test('a malformed import is refused whole with a message saying what is wrong, and the store is unchanged', async () => {
    const storage = await fresh();
    await fill(storage, 5, 7);
    const before = await storage.conversations.exportData();
    const donor = await fresh();
    await fill(donor, 20, 8);
    const good = await donor.conversations.exportData();
    const lastWithMessages = good.conversations.findLastIndex((c) => c.messages.length > 0);

    const broken = structuredClone(good) as unknown as {
      conversations: { messages: { status: string }[] }[];
    };
    broken.conversations[lastWithMessages].messages[0].status = 'done';
    const refusals: [unknown, string][] = [
      [
        broken,
        `conversations[${lastWithMessages}].messages[0].status must be one of complete, streaming, interrupted, error`,
      ],
      [
        '{"format": "petit-conversations", "version": 1, "exportedAt": 1, "conversations": [',
        'not valid JSON',
      ],
      [{ ...good, version: 2 }, 'newer Petit'],
      [{ ...good, format: 'chatgpt' }, 'not a Petit conversations export'],
      [{ ...good, conversations: [...good.conversations, good.conversations[0]] }, 'appears twice'],
      [{ ...good, secrets: { openai: 'sk-x' } }, 'unknown field "secrets"'],
    ];
    for (const [input, expected] of refusals) {
      const error = await storage.conversations.importJson(input).catch((e: unknown) => e);
      expect(isPetitError(error, 'import-invalid'), String(error)).toBe(true);
      expect((error as Error).message).toContain(expected);
      expect((error as Error).message).toContain('Nothing was imported');
    }
    const markdown = await donor.conversations.exportMarkdown();
    // Headings are decoration; changing a message's text is refused, whether or not its length still lines up.
    const at = markdown.indexOf('-->\n', markdown.lastIndexOf('<!-- petit:message')) + 4;
    for (const edited of [
      `${markdown.slice(0, at)}edited ${markdown.slice(at)}`,
      `${markdown.slice(0, at)}X${markdown.slice(at + 1)}`,
    ]) {
      await expect(storage.conversations.importMarkdown(edited)).rejects.toMatchObject({
        code: 'import-invalid',
      });
    }
    await expect(storage.conversations.importMarkdown('# My notes\n')).rejects.toMatchObject({
      code: 'import-invalid',
    });

    expect(withoutTime(await storage.conversations.exportData())).toEqual(withoutTime(before));
  });
});

describe('secrets', () => {
  test('API keys never appear in an export, are not stored as plain text, and can be forgotten', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    const storage = await fresh({ name });
    const key = 'sk-live-7f3a9c-DO-NOT-LEAK';
    await storage.secrets.set('openai', key);
    await storage.secrets.set('anthropic', `${key}-2`);
    await fill(storage, 3, 1);
    expect(await storage.secrets.get('openai')).toBe(key);
    expect((await storage.secrets.names()).sort()).toEqual(['anthropic', 'openai']);

    for (const text of [
      await storage.conversations.exportJson(),
      await storage.conversations.exportMarkdown(),
    ]) {
      expect(text).not.toContain('sk-live');
      expect(text).not.toContain('openai');
    }
    // Read the raw database the way any script on the page could: the key is not there in clear.
    const raw = await new Promise<unknown[]>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => {
        const all = request.result.transaction('secrets').objectStore('secrets').getAll();
        all.onsuccess = () => {
          resolve(all.result);
          request.result.close();
        };
      };
      request.onerror = () => reject(request.error);
    });
    expect(raw).toHaveLength(2);
    const bytes = raw.map((r) => new TextDecoder().decode((r as { data: ArrayBuffer }).data)).join('');
    expect(bytes).not.toContain('sk-live');

    await storage.secrets.forget('openai');
    expect(await storage.secrets.get('openai')).toBeUndefined();
    expect(await storage.secrets.get('anthropic')).toBe(`${key}-2`);
    await storage.secrets.forgetAll();
    expect(await storage.secrets.names()).toEqual([]);
    await storage.secrets.set('openai', 'sk-new');
    expect(await storage.secrets.get('openai')).toBe('sk-new');
  });
});
