import { useEffect, useMemo, useRef, useState } from 'react';
import { toPetitError } from '../../engine/errors.ts';
import {
  PROVIDER_IDS,
  PROVIDER_PRESETS,
  isProviderId,
  type ProviderId,
  type ProviderPreset,
} from '../../escalation/index.ts';
import { BEDROCK_REGIONS, PRESET_MODELS_DATE, URL_PARAM_LABELS } from '../../escalation/providers/presets.ts';
import { cspAllows } from '../../escalation/providers/reachability.ts';
import { resolveEndpoint } from '../../escalation/providers/transport.ts';
import type { ProviderConfig } from './escalation-config.ts';
import type { EscalationApi } from './use-escalation.ts';

interface Props {
  open: boolean;
  onClose: () => void;
  escalation: EscalationApi;
}

const DEFAULT_PRESET: ProviderId = 'openai';

/** Where a saved provider's requests go, or what is missing (the message names the field to fill in). */
function describe(provider: ProviderConfig): { url: string; origin: string } | { problem: string } {
  try {
    const endpoint = resolveEndpoint(
      provider,
      PROVIDER_PRESETS[provider.presetId].protocol === 'anthropic' ? '/messages' : '/chat/completions',
    );
    return { url: endpoint.url, origin: new URL(endpoint.url).origin };
  } catch (err) {
    return { problem: toPetitError(err).message };
  }
}

/**
 * Remote model settings: provider, the fields its address needs (Azure resource, deployment and api-version;
 * Bedrock region), model (from the provider's own list where it has one), key (kept only in this browser),
 * automatic sending.
 */
export function ProviderPanel({ open, onClose, escalation }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const current = escalation.config.provider;
  const [presetId, setPresetId] = useState<ProviderId>(current?.presetId ?? DEFAULT_PRESET);
  const [baseUrl, setBaseUrl] = useState(current?.baseUrl ?? '');
  const [model, setModel] = useState(current?.model ?? PROVIDER_PRESETS[DEFAULT_PRESET].defaultModel);
  const [params, setParams] = useState<Record<string, string>>(current?.urlParams ?? {});
  const [apiVersion, setApiVersion] = useState(current?.apiVersion ?? '');
  const [key, setKey] = useState('');
  const [keyStored, setKeyStored] = useState(false);
  const [status, setStatus] = useState('');
  const [listing, setListing] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setPresetId(current?.presetId ?? DEFAULT_PRESET);
      setBaseUrl(current?.baseUrl ?? '');
      setModel(current?.model ?? PROVIDER_PRESETS[DEFAULT_PRESET].defaultModel);
      setParams(current?.urlParams ?? {});
      setApiVersion(current?.apiVersion ?? '');
      setKey('');
      setStatus('');
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open, current]);

  const { hasKey } = escalation;
  useEffect(() => {
    if (open) void hasKey().then(setKeyStored);
  }, [open, hasKey]);

  const preset: ProviderPreset = PROVIDER_PRESETS[presetId];
  // The provider's own list once fetched for this provider; Petit's dated list until then.
  const live = current?.presetId === presetId ? current.models : undefined;
  const suggestions = live?.ids ?? [...preset.models];
  const shutdown = live?.shutdown?.[model.trim()];
  const saved = useMemo(() => (current ? describe(current) : null), [current]);
  const blockedByCsp = saved && 'url' in saved && cspAllows(saved.url) === false ? saved.origin : null;

  const save = () => {
    const urlParams = Object.fromEntries(
      preset.urlParams.map((name) => [name, params[name]?.trim() ?? '']).filter(([, v]) => v !== ''),
    );
    escalation.setProvider({
      presetId,
      model: model.trim() || preset.defaultModel,
      baseUrl: baseUrl.trim() || undefined,
      ...(preset.urlParams.length > 0 ? { urlParams } : {}),
      ...(preset.apiVersion && apiVersion.trim() ? { apiVersion: apiVersion.trim() } : {}),
      ...(current?.presetId === presetId && current.models ? { models: current.models } : {}),
    });
    setStatus('Saved.');
  };

  const fetchModels = async () => {
    if (!current) return;
    setListing(true);
    setStatus(`Asking ${preset.label} for its models…`);
    try {
      const client = await escalation.clientWithKey();
      if (!client) throw new Error('Save the provider first.');
      const list = await client.listModels();
      escalation.setProvider({
        ...current,
        models: {
          ids: list.ids,
          checkedOn: list.checkedOn,
          ...(list.shutdown ? { shutdown: list.shutdown } : {}),
        },
      });
      setStatus(`${list.ids.length} models from ${preset.label}.`);
    } catch (err) {
      setStatus(toPetitError(err).message);
    } finally {
      setListing(false);
    }
  };

  const auth = preset.auth;
  const keyOptional = auth.kind === 'bearer' && auth.optional === true;
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
      {preset.urlParams.map((name) => (
        <label className="field" key={`${presetId}-${name}`}>
          <span>{URL_PARAM_LABELS[name] ?? name}</span>
          <input
            value={params[name] ?? ''}
            onChange={(e) => setParams((p) => ({ ...p, [name]: e.target.value }))}
            data-testid={`provider-param-${name}`}
            list={name === 'region' ? 'provider-regions' : undefined}
            autoComplete="off"
            spellCheck={false}
          />
        </label>
      ))}
      {preset.urlParams.includes('region') && (
        <datalist id="provider-regions">
          {BEDROCK_REGIONS.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
      )}
      {preset.apiVersion && (
        <label className="field">
          <span>API version (leave empty for {preset.apiVersion})</span>
          <input
            value={apiVersion}
            onChange={(e) => setApiVersion(e.target.value)}
            data-testid="provider-api-version"
            spellCheck={false}
          />
        </label>
      )}
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
        <span>
          {presetId === 'azure-openai' ? 'Model (the deployment decides; shown in the dialog)' : 'Model'}
        </span>
        <input
          value={model}
          onChange={(e) => setModel(e.target.value)}
          data-testid="provider-model"
          list="provider-models"
        />
        <datalist id="provider-models">
          {suggestions.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
      <p className="muted" data-testid="provider-models-source">
        {live
          ? `${live.ids.length} models listed by ${preset.label} on ${live.checkedOn}.`
          : `Suggestions: Petit's list of ${PRESET_MODELS_DATE}, which may be out of date${preset.modelsPath ? `; "Get the provider's models" asks ${preset.label}` : ''}.`}
      </p>
      {live && live.ids.length > 0 && (
        <label className="field">
          <span>Models {preset.label} offers</span>
          <select
            value={live.ids.includes(model) ? model : ''}
            onChange={(e) => e.target.value && setModel(e.target.value)}
            data-testid="provider-model-choices"
          >
            <option value="">Choose…</option>
            {live.ids.map((m) => (
              <option key={m} value={m}>
                {live.shutdown?.[m] ? `${m} (shuts down ${live.shutdown[m]})` : m}
              </option>
            ))}
          </select>
        </label>
      )}
      {live && model.trim() && !live.ids.includes(model.trim()) && (
        <p className="warn" data-testid="provider-model-unknown">
          {preset.label} did not list &ldquo;{model.trim()}&rdquo; on {live.checkedOn}: it may refuse it as an
          unknown model.
        </p>
      )}
      {shutdown && (
        <p className="warn" data-testid="provider-model-shutdown">
          {preset.label} shuts &ldquo;{model.trim()}&rdquo; down on {shutdown}.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={save} data-testid="provider-save">
          Save provider
        </button>
        {current?.presetId === presetId && preset.modelsPath && (
          <button
            type="button"
            className="button ghost"
            disabled={listing}
            onClick={() => void fetchModels()}
            data-testid="provider-fetch-models"
          >
            Get the provider&apos;s models
          </button>
        )}
      </div>
      {current && (
        <>
          {saved && 'problem' in saved ? (
            <p className="warn" data-testid="provider-problem">
              {saved.problem}
            </p>
          ) : (
            <p data-testid="provider-current">
              Sending to <strong>{escalation.host ?? 'an invalid address'}</strong> ({current.model})
            </p>
          )}
          {blockedByCsp && (
            <p className="warn" data-testid="provider-csp-warning">
              This copy of Petit&apos;s Content Security Policy does not allow {blockedByCsp}, so the browser
              will block every request to it. Whoever deploys Petit must add {blockedByCsp} to
              VITE_PETIT_CSP_CONNECT and rebuild.
            </p>
          )}
          {auth.kind !== 'none' && (
            <label className="field">
              <span>
                API key{keyOptional ? ` (optional: only if ${preset.label} requires one)` : ''}{' '}
                {keyStored ? '(one is stored)' : '(none stored)'}
              </span>
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
