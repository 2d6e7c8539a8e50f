import type { CompletionUsage, RuntimeInfo } from 'petit';

interface Props {
  runtime: RuntimeInfo | null;
  usage: CompletionUsage | null;
}

export function StatusBar({ runtime, usage }: Props) {
  if (!runtime) {
    return (
      <footer className="status" data-testid="status">
        <span>No model loaded · everything runs on this device</span>
      </footer>
    );
  }
  const device = runtime.device === 'webgpu' ? 'WebGPU' : 'WASM';
  return (
    <footer className="status" data-testid="status">
      <span title="Runtime">{runtime.backend === 'webllm' ? 'web-llm' : 'transformers.js'}</span>
      <span data-testid="status-device">{device}</span>
      {runtime.device === 'wasm' && (
        <span
          data-testid="status-threads"
          title={runtime.crossOriginIsolated ? 'Cross-origin isolated' : 'Not isolated: one thread'}
        >
          {runtime.threads} {runtime.threads === 1 ? 'thread' : 'threads'}
        </span>
      )}
      <span data-testid="status-dtype" title="Weight precision">
        {runtime.dtype}
      </span>
      {usage && (
        <span data-testid="status-speed">
          {usage.extra.decode_tokens_per_s.toFixed(1)} tokens/s · first token{' '}
          {Math.round(usage.extra.time_to_first_token_ms)} ms
        </span>
      )}
      {runtime.fallbackReason && (
        <span className="warn" data-testid="status-fallback" title={runtime.fallbackReason}>
          {runtime.fallbackReason}
        </span>
      )}
    </footer>
  );
}
