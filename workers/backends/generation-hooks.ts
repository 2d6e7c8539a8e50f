import { BaseStreamer, StoppingCriteria } from '@huggingface/transformers';

/** What a transformers.js generation runs with: tokens out as they come, a stop flag, a turn for messages. */

export class CallbackStreamer extends BaseStreamer {
  private promptSeen = false;
  constructor(private readonly onTokens: (ids: bigint[]) => void) {
    super();
  }
  override put(value: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    this.onTokens(value[0]);
  }
  override end(): void {}
}

export class FlagStoppingCriteria extends StoppingCriteria {
  stop = false;
  override _call(inputIds: number[][]): boolean[] {
    return new Array(inputIds.length).fill(this.stop);
  }
}

/**
 * ONNX Runtime's WASM run settles in microtasks, so a whole generation can run without giving the worker's
 * event loop a turn, and an interrupt message would wait until the end. A MessageChannel hop is a real task
 * (unlike setTimeout, never clamped to 4 ms) that lets queued messages in between two tokens.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
