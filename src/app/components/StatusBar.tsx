import type { CompletionUsage, RuntimeInfo } from 'petit';
import { useTranslation } from 'react-i18next';
import { formatMilliseconds, formatNumber } from '../../i18n/format.ts';

interface Props {
  runtime: RuntimeInfo | null;
  usage: CompletionUsage | null;
}

export function StatusBar({ runtime, usage }: Props) {
  const { t } = useTranslation('chat');
  if (!runtime) {
    return (
      <footer className="status" data-testid="status">
        <span>{t('status.idle')}</span>
      </footer>
    );
  }
  const device = runtime.device === 'webgpu' ? 'WebGPU' : 'WASM';
  return (
    <footer className="status" data-testid="status">
      {/* Names of runtimes, devices and precisions (q4, fp32) are the same in every language. */}
      <span title={t('status.runtime')} translate="no">
        {runtime.backend === 'webllm' ? 'web-llm' : 'transformers.js'}
      </span>
      <span data-testid="status-device" translate="no">
        {device}
      </span>
      {runtime.device === 'wasm' && (
        <span
          data-testid="status-threads"
          title={runtime.crossOriginIsolated ? t('status.isolated') : t('status.notIsolated')}
        >
          {t('status.threads', { count: runtime.threads })}
        </span>
      )}
      <span data-testid="status-dtype" title={t('status.precision')} translate="no">
        {runtime.dtype}
      </span>
      {usage && (
        <span data-testid="status-speed">
          {t('status.speed', {
            rate: formatNumber(usage.extra.decode_tokens_per_s, {
              minimumFractionDigits: 1,
              maximumFractionDigits: 1,
            }),
            time: formatMilliseconds(Math.round(usage.extra.time_to_first_token_ms)),
          })}
        </span>
      )}
      {runtime.fallbackReason && (
        // Worded here from the engine's facts; its English sentence, with the underlying error, is in runtimeInfo().
        <span className="warn" data-testid="status-fallback">
          {runtime.fallback?.from === 'webllm'
            ? t('status.fallback.webllm', { model: runtime.fallback.model ?? '' })
            : runtime.fallback?.from === 'webgpu'
              ? t('status.fallback.webgpu')
              : t('status.fallback.other')}
        </span>
      )}
    </footer>
  );
}
