import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../../chat/escalation.ts';
import {
  PROVIDER_IDS,
  PROVIDER_PRESETS,
  isProviderId,
  type ProviderId,
  type ProviderPreset,
} from '../../escalation/index.ts';
import { BEDROCK_REGIONS, PRESET_MODELS_DATE } from '../../escalation/providers/presets.ts';
import { cspAllows } from '../../escalation/providers/reachability.ts';
import { resolveEndpoint } from '../../escalation/providers/transport.ts';
import type { ProviderConfig } from './escalation-config.ts';
import { dayText } from './figures.ts';
import { useDialogFocus } from './use-dialog-focus.ts';
import type { EscalationApi } from './use-escalation.ts';

interface Props {
  open: boolean;
  onClose: () => void;
  escalation: EscalationApi;
}

const DEFAULT_PRESET: ProviderId = 'openai';

/** A preset's brand; the presets of servers on this computer say so in the reader's language. */
function usePresetLabel() {
  const { t } = useTranslation('escalation');
  return (id: ProviderId) => {
    const { label, local } = PROVIDER_PRESETS[id];
    return local ? t('provider.thisComputer', { name: label.replace(/\s*\(.*\)$/, '') }) : label;
  };
}

/** Where a saved provider's requests go, or what is missing (the message names the field to fill in). */
function describe(provider: ProviderConfig): { url: string; origin: string } | { problem: string } {
  try {
    const endpoint = resolveEndpoint(
      provider,
      PROVIDER_PRESETS[provider.presetId].protocol === 'anthropic' ? '/messages' : '/chat/completions',
    );
    return { url: endpoint.url, origin: new URL(endpoint.url).origin };
  } catch (err) {
    return { problem: errorText(err) };
  }
}

/**
 * Remote model settings: provider, the fields its address needs (Azure resource, deployment and api-version;
 * Bedrock region), model (from the provider's own list where it has one), key (kept only in this browser),
 * automatic sending.
 */
export function ProviderPanel({ open, onClose, escalation }: Props) {
  const { t } = useTranslation('escalation');
  const presetLabel = usePresetLabel();
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

  useDialogFocus(dialog, open);
  const wasOpen = useRef(false);
  useEffect(() => {
    const opening = open && !wasOpen.current;
    wasOpen.current = open;
    if (opening) {
      // Each opening starts from the saved settings.
      setPresetId(current?.presetId ?? DEFAULT_PRESET);
      setBaseUrl(current?.baseUrl ?? '');
      setModel(current?.model ?? PROVIDER_PRESETS[DEFAULT_PRESET].defaultModel);
      setParams(current?.urlParams ?? {});
      setApiVersion(current?.apiVersion ?? '');
      setKey('');
      setStatus('');
    }
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
    setStatus(t('provider.status.saved'));
  };

  const fetchModels = async () => {
    if (!current) return;
    setListing(true);
    setStatus(t('provider.status.asking', { provider: preset.label }));
    try {
      const client = await escalation.clientWithKey();
      if (!client) throw new Error(t('provider.status.saveFirst'));
      const list = await client.listModels();
      escalation.setProvider({
        ...current,
        models: {
          ids: list.ids,
          checkedOn: list.checkedOn,
          ...(list.shutdown ? { shutdown: list.shutdown } : {}),
        },
      });
      setStatus(t('provider.status.models', { count: list.ids.length, provider: preset.label }));
    } catch (err) {
      setStatus(errorText(err));
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
      <h2 id="provider-title">{t('provider.title')}</h2>
      <p className="muted">{t('provider.intro')}</p>
      <label className="field">
        <span>{t('provider.provider')}</span>
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
            // A brand is not translated; "(this computer)" is.
            <option key={id} value={id} translate={PROVIDER_PRESETS[id].local ? undefined : 'no'}>
              {presetLabel(id)}
            </option>
          ))}
        </select>
      </label>
      {preset.urlParams.map((name) => (
        <label className="field" key={`${presetId}-${name}`}>
          <span>{t('provider.param', { name })}</span>
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
          <span>{t('provider.apiVersion', { version: preset.apiVersion })}</span>
          <input
            value={apiVersion}
            onChange={(e) => setApiVersion(e.target.value)}
            data-testid="provider-api-version"
            spellCheck={false}
          />
        </label>
      )}
      <label className="field">
        <span>{t('provider.address', { url: preset.baseUrl })}</span>
        <input
          type="url"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          data-testid="provider-base-url"
        />
      </label>
      <label className="field">
        <span>{presetId === 'azure-openai' ? t('provider.modelAzure') : t('provider.model')}</span>
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
          ? t('provider.listed', {
              count: live.ids.length,
              provider: preset.label,
              date: dayText(live.checkedOn),
            })
          : t(preset.modelsPath ? 'provider.suggestionsAsk' : 'provider.suggestions', {
              date: dayText(PRESET_MODELS_DATE),
              provider: preset.label,
            })}
      </p>
      {live && live.ids.length > 0 && (
        <label className="field">
          <span>{t('provider.offers', { provider: preset.label })}</span>
          <select
            value={live.ids.includes(model) ? model : ''}
            onChange={(e) => e.target.value && setModel(e.target.value)}
            data-testid="provider-model-choices"
          >
            <option value="">{t('provider.choose')}</option>
            {live.ids.map((m) =>
              live.shutdown?.[m] ? (
                <option key={m} value={m}>
                  {t('provider.shutsDownOption', { model: m, date: live.shutdown[m] })}
                </option>
              ) : (
                // A model id is the provider's name for it, not text to translate.
                <option key={m} value={m} translate="no">
                  {m}
                </option>
              ),
            )}
          </select>
        </label>
      )}
      {live && model.trim() && !live.ids.includes(model.trim()) && (
        <p className="warn" data-testid="provider-model-unknown">
          {t('provider.unknownModel', {
            provider: preset.label,
            model: model.trim(),
            date: dayText(live.checkedOn),
          })}
        </p>
      )}
      {shutdown && (
        <p className="warn" data-testid="provider-model-shutdown">
          {t('provider.shutsDown', { provider: preset.label, model: model.trim(), date: shutdown })}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={save} data-testid="provider-save">
          {t('provider.save')}
        </button>
        {current?.presetId === presetId && preset.modelsPath && (
          <button
            type="button"
            className="button ghost"
            disabled={listing}
            onClick={() => void fetchModels()}
            data-testid="provider-fetch-models"
          >
            {t('provider.fetchModels')}
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
              {t('provider.sendingTo')}{' '}
              {escalation.host ? (
                <strong translate="no">{escalation.host}</strong>
              ) : (
                <strong>{t('provider.invalidAddress')}</strong>
              )}{' '}
              <span translate="no">({current.model})</span>
            </p>
          )}
          {blockedByCsp && (
            <p className="warn" data-testid="provider-csp-warning">
              {t('provider.csp', { origin: blockedByCsp })}
            </p>
          )}
          {auth.kind !== 'none' && (
            <label className="field">
              <span>
                {t('provider.apiKey')}
                {keyOptional ? ` ${t('provider.keyOptional', { provider: preset.label })}` : ''}{' '}
                {keyStored ? t('provider.keyStored') : t('provider.keyNone')}
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
                  setStatus(t('provider.status.keyStored'));
                })
              }
            >
              {t('provider.storeKey')}
            </button>
            <button
              type="button"
              className="button ghost"
              data-testid="provider-forget-key"
              onClick={() =>
                void escalation.forgetKey().then(() => {
                  setKeyStored(false);
                  setStatus(t('provider.status.keyForgotten'));
                })
              }
            >
              {t('provider.forgetKey')}
            </button>
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={escalation.autoOptedIn}
              onChange={(e) => escalation.setAutoOptIn(e.target.checked)}
              data-testid="provider-auto"
            />{' '}
            {t('provider.auto')}
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={escalation.config.redact}
              onChange={(e) => escalation.setRedact(e.target.checked)}
              data-testid="provider-redact"
            />{' '}
            {t('provider.redact')}
          </label>
        </>
      )}
      <p role="status" className="muted" data-testid="provider-status">
        {status}
      </p>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onClose} data-testid="provider-close">
          {t('provider.close')}
        </button>
      </div>
    </dialog>
  );
}
