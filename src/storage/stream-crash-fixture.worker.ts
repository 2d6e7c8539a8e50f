/**
 * Test fixture: streams an answer into the store from a worker and then stays alive, so a test can kill it with
 * `terminate()` mid-answer, which is as abrupt as a crash (no unload handlers, no last save).
 */
import { openStorage } from './index.ts';

interface Scope {
  postMessage(message: unknown): void;
  onmessage:
    ((event: MessageEvent<{ dbName: string; conversationId: string; chunks: string[] }>) => void) | null;
}
const scope = self as unknown as Scope;

scope.onmessage = async (event) => {
  const { dbName, conversationId, chunks } = event.data;
  const storage = await openStorage({ name: dbName });
  const writer = await storage.conversations.startStreaming(
    conversationId,
    { role: 'assistant', modelId: 'fixture' },
    { throttleMs: 10 },
  );
  for (const chunk of chunks) {
    writer.append(chunk);
    await new Promise((r) => setTimeout(r, 2));
  }
  await writer.flush();
  scope.postMessage({ messageId: writer.messageId, saved: writer.text });
};
