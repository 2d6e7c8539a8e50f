/** The transformers.js-direct peer page: a plain worker (no comlink, no engine), one postMessage per call. */
import type { DirectBench, DirectWorkerReply, DirectWorkerRequest } from './page-api.ts';

const worker = new Worker(new URL('./direct.worker.ts', import.meta.url), { type: 'module' });
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextId = 0;
worker.onmessage = (event: MessageEvent<DirectWorkerReply>) => {
  const reply = event.data;
  const call = pending.get(reply.id);
  pending.delete(reply.id);
  if (reply.ok) call?.resolve(reply.value);
  else call?.reject(new Error(reply.error));
};
worker.onerror = (event) => {
  for (const call of pending.values()) call.reject(new Error(`direct worker failed: ${event.message}`));
  pending.clear();
};

function call<T>(method: DirectWorkerRequest['method'], args: unknown): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, method, args } satisfies DirectWorkerRequest);
  });
}

const bench: DirectBench = {
  async load(request) {
    const started = performance.now();
    await call('load', request);
    return { loadMs: performance.now() - started };
  },
  generate: (request) => call('generate', request),
};
Object.assign(window, { bench });
