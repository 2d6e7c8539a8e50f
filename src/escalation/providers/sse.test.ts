import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent } from './sse.ts';

/** A body delivered in the given byte pieces, as a network would. */
function body(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(p);
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(stream)) out.push(e);
  return out;
}

describe('SSE parser', () => {
  it('reads events split anywhere, even inside a multi-byte character and a CRLF', async () => {
    const text =
      'event: content_block_delta\r\ndata: {"text":"héllo 👋"}\r\n\r\n: comment\n\ndata: a\ndata: b\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size));
      expect(await all(body(pieces))).toEqual([
        { event: 'content_block_delta', data: '{"text":"héllo 👋"}' },
        { event: 'message', data: 'a\nb' },
        { event: 'message', data: '[DONE]' },
      ]);
    }
  });

  it('drops an event cut off before its blank line (a dropped stream)', async () => {
    const bytes = new TextEncoder().encode('data: one\n\ndata: tw');
    expect(await all(body([bytes]))).toEqual([{ event: 'message', data: 'one' }]);
  });
});
