import { describe, expect, test } from 'vitest';
import { isPetitError } from '../engine/errors.ts';
import { fresh } from './fresh-storage.test-helper.ts';
import { openStorage, type PetitStorage } from './index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('conversations', () => {
  test('create, append, get, rename, list newest first, delete', async () => {
    let clock = 1_000;
    const { conversations } = await fresh({ now: () => clock++ });
    const a = await conversations.create({ title: 'First', modelId: 'smollm2-135m' });
    const b = await conversations.create({ title: 'Second' });
    await conversations.appendMessage(a.id, { role: 'user', content: 'Hello?' });
    const answer = await conversations.appendMessage(a.id, {
      role: 'assistant',
      content: 'Hi!',
      modelId: 'smollm2-135m',
      usage: {
        prompt_tokens: 3,
        completion_tokens: 2,
        total_tokens: 5,
        extra: { time_to_first_token_ms: 9, prefill_tokens_per_s: 1, decode_tokens_per_s: 2, total_ms: 30 },
      },
    });

    // `a` got messages after `b` was created, so it is newer.
    expect((await conversations.list()).map((c) => [c.title, c.messageCount])).toEqual([
      ['First', 2],
      ['Second', 0],
    ]);
    const stored = await conversations.get(a.id);
    expect(stored?.messages.map((m) => [m.role, m.content, m.status, m.source])).toEqual([
      ['user', 'Hello?', 'complete', 'on-device'],
      ['assistant', 'Hi!', 'complete', 'on-device'],
    ]);
    expect(stored?.messages[1]).toEqual(answer);

    await conversations.rename(b.id, '  Renamed  ');
    expect((await conversations.list()).map((c) => c.title)).toEqual(['Renamed', 'First']);
    await expect(conversations.rename(b.id, 'x'.repeat(501))).rejects.toMatchObject({
      code: 'invalid-request',
    });

    expect(await conversations.delete(a.id)).toBe(true);
    expect(await conversations.get(a.id)).toBeUndefined();
    expect(await conversations.delete(a.id)).toBe(false);
    const error = await conversations
      .appendMessage(a.id, { role: 'user', content: 'late' })
      .catch((e: unknown) => e);
    expect(isPetitError(error, 'storage-error')).toBe(true);
    expect((await conversations.list()).map((c) => c.id)).toEqual([b.id]);
  });

  test('search matches titles and contents, ignoring case and accents, all words required', async () => {
    const { conversations } = await fresh();
    const recipes = await conversations.create({ title: 'Crème brûlée' });
    await conversations.appendMessage(recipes.id, { role: 'user', content: 'How long do I bake it?' });
    await conversations.appendMessage(recipes.id, {
      role: 'assistant',
      content: 'Bake at 150 °C for about 40 minutes, until set.',
    });
    const other = await conversations.create({ title: 'Trip' });
    await conversations.appendMessage(other.id, { role: 'user', content: 'Trains from Lyon to Turin' });

    const hits = await conversations.search('CREME bake');
    expect(hits.map((h) => h.conversationId)).toEqual([recipes.id]);
    expect(hits[0].matches.map((m) => m.messageId === null)).toEqual([true, false, false]);
    expect(hits[0].matches[2].snippet).toContain('Bake at 150');
    expect((await conversations.search('lyon')).map((h) => h.title)).toEqual(['Trip']);
    expect(await conversations.search('lyon bake')).toEqual([]);
    expect(await conversations.search('   ')).toEqual([]);
  });

  test('a streamed answer is saved as it grows; after a reload it is kept and marked interrupted', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    const first = await fresh({ name });
    const conversation = await first.conversations.create({ title: 'Stream' });
    await first.conversations.appendMessage(conversation.id, { role: 'user', content: 'Tell me a story' });
    const writer = await first.conversations.startStreaming(
      conversation.id,
      { role: 'assistant', modelId: 'm' },
      { throttleMs: 20 },
    );
    const words = 'Once upon a time there was a tiny model that ran in a browser'.split(' ');
    for (const word of words) {
      writer.append(`${word} `);
      await sleep(3);
    }
    await sleep(60); // the throttled save has run; no flush, as in a crash
    const saved = (await first.conversations.get(conversation.id))!.messages[1];
    expect(saved.status).toBe('streaming');
    expect(saved.content).toBe(words.map((w) => `${w} `).join(''));
    writer.append('and then');
    first.close(); // the page goes away mid-answer: the last few tokens were never saved

    const second = await fresh({ name });
    expect(await second.conversations.markInterrupted()).toBe(1);
    const after = (await second.conversations.get(conversation.id))!.messages;
    expect(after.map((m) => m.status)).toEqual(['complete', 'interrupted']);
    expect(after[1].content).toBe(saved.content);
    expect(await second.conversations.markInterrupted()).toBe(0);
  });

  test('on pagehide (a reload or closing the tab) the tokens not yet saved are written at once', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    const first = await fresh({ name });
    const c = await first.conversations.create();
    const writer = await first.conversations.startStreaming(
      c.id,
      { role: 'assistant' },
      { throttleMs: 60_000 },
    );
    writer.update('Everything up to the very last token');
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    await sleep(50);
    first.close();

    const second = await fresh({ name });
    expect(await second.conversations.markInterrupted()).toBe(1);
    expect((await second.conversations.get(c.id))!.messages[0]).toMatchObject({
      content: 'Everything up to the very last token',
      status: 'interrupted',
    });
  });

  test('finish() saves the final text, usage and status', async () => {
    const { conversations } = await fresh();
    const c = await conversations.create();
    const writer = await conversations.startStreaming(
      c.id,
      { role: 'assistant', source: 'remote', modelId: 'big' },
      { throttleMs: 1_000 },
    );
    writer.update('Partial');
    writer.update('Partial answer.');
    const done = await writer.finish({
      usage: {
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        extra: { time_to_first_token_ms: 1, prefill_tokens_per_s: 1, decode_tokens_per_s: 1, total_ms: 1 },
      },
    });
    expect(done).toMatchObject({
      content: 'Partial answer.',
      status: 'complete',
      source: 'remote',
      modelId: 'big',
    });
    expect((await conversations.get(c.id))!.messages[0]).toEqual(done);
    expect(await conversations.markInterrupted()).toBe(0);
  });

  test('a worker killed mid-answer leaves its text, marked interrupted only once the stream is really dead', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    const storage = await fresh({ name });
    const c = await storage.conversations.create();
    const worker = new Worker(new URL('./stream-crash-fixture.worker.ts', import.meta.url), {
      type: 'module',
    });
    const chunks = Array.from({ length: 40 }, (_, i) => `token${i} `);
    const reply = await new Promise<{ messageId: string; saved: string }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ dbName: name, conversationId: c.id, chunks });
    });
    expect(reply.saved).toBe(chunks.join(''));
    // The worker is alive and holds the stream: another tab starting up must not mark it.
    expect(await storage.conversations.markInterrupted()).toBe(0);
    worker.terminate();
    let marked = 0;
    for (let i = 0; i < 100 && marked === 0; i++) {
      marked = await storage.conversations.markInterrupted();
      if (marked === 0) await sleep(20);
    }
    expect(marked).toBe(1);
    const message = (await storage.conversations.get(c.id))!.messages[0];
    expect(message).toMatchObject({
      id: reply.messageId,
      status: 'interrupted',
      content: chunks.join(''),
      modelId: 'fixture',
    });
  });

  test('two connections (two tabs) appending at once lose nothing and keep order per tab', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    const tabA = await fresh({ name });
    const tabB = await fresh({ name });
    const c = await tabA.conversations.create({ title: 'Shared' });
    const appendAll = (tab: PetitStorage, label: string) =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          tab.conversations.appendMessage(c.id, { role: 'user', content: `${label}${i}` }),
        ),
      );
    await Promise.all([
      appendAll(tabA, 'a'),
      appendAll(tabB, 'b'),
      tabB.conversations.rename(c.id, 'Renamed meanwhile'),
    ]);

    const seenByB = (await tabB.conversations.get(c.id))!;
    expect(seenByB.title).toBe('Renamed meanwhile');
    expect(seenByB.messages).toHaveLength(100);
    expect(new Set(seenByB.messages.map((m) => m.id)).size).toBe(100);
    const fromA = seenByB.messages.filter((m) => m.content.startsWith('a')).map((m) => m.content);
    expect(fromA).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect((await tabA.conversations.list())[0].messageCount).toBe(100);
  });

  test('an older tab facing a database upgraded by a newer Petit gets a typed error telling it to reload', async () => {
    const name = `petit-test-${crypto.randomUUID()}`;
    let staleCalls = 0;
    const old = await fresh({ name, onStale: () => staleCalls++ });
    // A "newer version" opens the same database at a higher version: the old tab must step aside, not block it.
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 99);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('blocked by the old tab'));
    });
    newer.close();
    expect(staleCalls).toBe(1);
    await expect(old.conversations.list()).rejects.toMatchObject({ code: 'storage-error' });
    await expect(openStorage({ name })).rejects.toMatchObject({
      code: 'storage-error',
      message: expect.stringContaining('Reload'),
    });
  });
});
