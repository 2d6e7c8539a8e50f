import { useEffect, useRef, useState } from 'react';
import { PROVIDER_IDS, PROVIDER_PRESETS, isProviderId, type ProviderId } from '../../escalation/index.ts';
import type { EscalationApi } from './use-escalation.ts';

interface Props {
  open: boolean;
  onClose: () => void;
  escalation: EscalationApi;
}

/** Remote model settings: provider, address, model, key (kept only in this browser), automatic sending. */
export function ProviderPanel({ open, onClose, escalation }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const current = escalation.config.provider;
  const [presetId, setPresetId] = useState<ProviderId>(current?.presetId ?? 'openai');
  const [baseUrl, setBaseUrl] = useState(current?.baseUrl ?? '');
  const [model, setModel] = useState(current?.model ?? PROVIDER_PRESETS.openai.defaultModel);
  const [key, setKey] = useState('');
  const [keyStored, setKeyStored] = useState(false);
  const [status, setStatus] = useState('');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setPresetId(current?.presetId ?? 'openai');
      setBaseUrl(current?.baseUrl ?? '');
      setModel(current?.model ?? PROVIDER_PRESETS.openai.defaultModel);
      setKey('');
      setStatus('');
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open, current]);

  const { hasKey } = escalation;
  useEffect(() => {
    if (open) void hasKey().then(setKeyStored);
  }, [open, hasKey]);

  const preset = PROVIDER_PRESETS[presetId];
  const save = async () => {
    escalation.setProvider({
      presetId,
      model: model.trim() || preset.defaultModel,
      baseUrl: baseUrl.trim() || undefined,
    });
    setStatus('Saved.');
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      onClose={onClose}
      aria-labelledby="provider-title"
      data-testid="provider-panel"
    >
      <h2 id="provider-title">Remote model</h2>
      <p className="muted">
        Used only when the mode in the header allows it. Keys are kept in this browser only, encrypted, never
        exported, and sent only to their provider&apos;s address.
      </p>
      <label className="field">
        <span>Provider</span>
        <select
          value={presetId}
          data-testid="provider-preset"
          onChange={(e) => {
            if (!isProviderId(e.target.value)) return;
            setPresetId(e.target.value);
            setModel(PROVIDER_PRESETS[e.target.value].defaultModel);
          }}
        >
          {PROVIDER_IDS.map((id) => (
            <option key={id} value={id}>
              {PROVIDER_PRESETS[id].label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Address (leave empty for {preset.baseUrl})</span>
        <input
          type="url"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          data-testid="provider-base-url"
        />
      </label>
      <label className="field">
        <span>Model</span>
        <input
          value={model}
          onChange={(e) => setModel(e.target.value)}
          data-testid="provider-model"
          list="provider-models"
        />
        <datalist id="provider-models">
          {preset.models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={() => void save()} data-testid="provider-save">
          Save provider
        </button>
      </div>
      {escalation.config.provider && (
        <>
          <p data-testid="provider-current">
            Sending to <strong>{escalation.host ?? 'an invalid address'}</strong> (
            {escalation.config.provider.model})
          </p>
          {preset.auth.kind !== 'none' && (
            <label className="field">
              <span>API key {keyStored ? '(one is stored)' : '(none stored)'}</span>
              <input
                type="password"
                autoComplete="off"
                value={key}
                onChange={(e) => setKey(e.target.value)}
                data-testid="provider-key"
              />
            </label>
          )}
          <div className="dialog-actions">
            <button
              type="button"
              className="button"
              disabled={!key}
              data-testid="provider-save-key"
              onClick={() =>
                void escalation.saveKey(key).then(() => {
                  setKey('');
                  setKeyStored(true);
                  setStatus('Key stored in this browser.');
                })
              }
            >
              Store key
            </button>
            <button
              type="button"
              className="button ghost"
              data-testid="provider-forget-key"
              onClick={() =>
                void escalation.forgetKey().then(() => {
                  setKeyStored(false);
                  setStatus('Key forgotten.');
                })
              }
            >
              Forget key
            </button>
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={escalation.autoOptedIn}
              onChange={(e) => escalation.setAutoOptIn(e.target.checked)}
              data-testid="provider-auto"
            />{' '}
            Send automatically to this provider when the mode is &ldquo;Send automatically when needed&rdquo;
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={escalation.config.redact}
              onChange={(e) => escalation.setRedact(e.target.checked)}
              data-testid="provider-redact"
            />{' '}
            Replace e-mail addresses, phone, card and IBAN numbers and IP addresses before sending
          </label>
        </>
      )}
      <p role="status" className="muted" data-testid="provider-status">
        {status}
      </p>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onClose} data-testid="provider-close">
          Close
        </button>
      </div>
    </dialog>
  );
}
