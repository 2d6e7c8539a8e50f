/**
 * A Server-Sent Events parser over a fetch body (WHATWG spec rules: `\n`, `\r\n` or `\r` line ends, `data:`
 * lines joined with `\n`, `event:` names, `:` comments ignored, one space after the colon stripped). Bytes are
 * decoded with a streaming TextDecoder, so multi-byte characters split across network chunks stay intact.
 */

export interface SseEvent {
  /** The `event:` name, or 'message' when none was given. */
  event: string;
  data: string;
}

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let sawField = false;
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const match = /\r\n|\n|\r/.exec(buffer);
        // A lone '\r' at the very end may be the first half of '\r\n': wait for more bytes.
        if (!match || (match[0] === '\r' && match.index === buffer.length - 1 && !done)) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          if (sawField && data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          sawField = false;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        sawField = true;
        if (field === 'data') data.push(val);
        else if (field === 'event') event = val;
      }
      // Per the spec, an event not terminated by a blank line when the stream ends is discarded.
      if (done) {
        finished = true;
        return;
      }
    }
  } finally {
    // Stopped early (consumer broke out, or an error): cancel the body so the connection is closed.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
