import { useId, useMemo, useState, type ReactNode } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { BackendPreference, Device, Dtype } from 'petit';
import { formatBytes } from '../../i18n/format.ts';
import { requestPersistence } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { chooseRuntime, largestThatFits, type ChoiceResult } from '../../models/chooser.ts';
import { preferForLanguage } from '../../models/language-choice.ts';
import { NOTHING_STORED, hasStoredBuild, storedBuildsOf, type StoredBuilds } from '../../models/stored.ts';
import { useCapabilities, useKeptModels, useLocalEntries } from '../models/use-models.ts';
import { useOnline } from '../pwa/use-online.ts';
import { RUNTIME_CHOICES, chooserPrefs, type RuntimeChoice } from '../settings.ts';
import {
  choiceText,
  dtypeLabel,
  entryText,
  fullName,
  languageList,
  languageName,
  paramsText,
} from '../models/model-text.ts';
import '../models/models.css';
import './model-picker.css';
import { Icon } from './Icon.tsx';

interface Props {
  catalog: readonly CatalogEntry[];
  selectedId: string | null;
  busy: boolean;
  /** `device` is `wasm` when the chooser keeps a model off an existing GPU, else `auto` (WebGPU with fallback). */
  onLoad: (entry: CatalogEntry, dtype: Dtype, device: Device | 'auto', backend: BackendPreference) => void;
  /** Settings → Runtime: which backends and device the chooser may pick. */
  runtime?: RuntimeChoice;
  /** The hub in Settings: what is stored is per hub. */
  hubUrl: string;
  /**
   * The conversation's language (`fr`), when known: a model its makers list for it is preferred, and the picker
   * says so. Absent or `en`: no preference.
   */
  conversationLanguage?: string | null;
}

const NAME = <span translate="no" />;

/** Whether the build the chooser picked (or its ONNX fallback) can load from the store, with no network. */
function loadsFromStore(
  choice: ChoiceResult,
  onnxFallback: ChoiceResult | null,
  stored: StoredBuilds,
): boolean {
  if (!choice.ok) return false;
  if (choice.backend === 'webllm')
    return (
      stored.mlc.has(choice.quantization) ||
      (onnxFallback?.ok === true &&
        onnxFallback.backend === 'transformers' &&
        stored.onnx.has(onnxFallback.dtype))
    );
  return stored.onnx.has(choice.dtype);
}

/** Messages may name things in `<code>` (`main`): shown as code, the rest as text. */
function withCode(text: string): ReactNode[] {
  return text
    .split(/<code>(.*?)<\/code>/)
    .map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** One line saying what will run and why, or why it cannot. */
export function ChoiceLine({
  choice,
  entry,
  id,
}: {
  choice: ChoiceResult | null;
  entry: CatalogEntry;
  id?: string;
}) {
  const { t } = useTranslation('models');
  if (!choice) return <p className="model-choice muted">{t('choice.checking')}</p>;
  const reason = choiceText(choice.message, entry);
  return (
    <div className="model-choice" id={id} data-testid="model-choice" data-ok={choice.ok}>
      <p className={choice.ok ? 'choice-ok' : 'choice-no'}>
        <Icon name={choice.ok ? 'check' : 'cross'} size={14} />{' '}
        {withCode(choice.ok ? reason : t('choice.cannotRun', { reason }))}
        {choice.ok && choice.downloadBytes > 1e7 && (
          <span className="muted"> {t('choice.download', { size: formatBytes(choice.downloadBytes) })}</span>
        )}
      </p>
      {choice.ok && choice.noteMessages.length > 0 && (
        <ul className="choice-notes">
          {choice.noteMessages.map((note, i) => (
            <li key={i}>{withCode(choiceText(note, entry))}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ModelPicker({
  catalog,
  selectedId,
  busy,
  onLoad,
  runtime = 'auto',
  hubUrl,
  conversationLanguage,
}: Props) {
  const { t } = useTranslation('models');
  const id = useId();
  const caps = useCapabilities();
  const local = useLocalEntries();
  const online = useOnline();
  const kept = useKeptModels();
  const all = useMemo(() => [...local, ...catalog], [local, catalog]);
  const [modelId, setModelId] = useState(selectedId ?? catalog[0]?.id ?? '');
  // Whether the person chose a model here: then the conversation's language only suggests, never switches.
  const [touched, setTouched] = useState(false);
  const base = all.find((e) => e.id === modelId) ?? all[0];
  const [dtype, setDtype] = useState<Dtype | 'auto'>('auto');

  const rt = RUNTIME_CHOICES[runtime];
  const prefs = useMemo(() => chooserPrefs(runtime), [runtime]);
  const language = conversationLanguage && conversationLanguage !== 'en' ? conversationLanguage : null;
  const forLanguage = useMemo(
    () => (caps && base && language ? preferForLanguage(all, base, language, caps, prefs) : null),
    [all, base, language, caps, prefs],
  );
  // Nothing was ever chosen: the model for the conversation's language is the default.
  const switched = forLanguage && !touched && !selectedId ? forLanguage : null;
  const entry = switched ? switched.entry : base;
  const wanted = dtype !== 'auto' && entry?.dtypes.includes(dtype) ? dtype : undefined;
  const choose = (modelId: string) => {
    setModelId(modelId);
    setTouched(true);
    setDtype('auto');
  };
  const choices = useMemo(
    () => new Map(caps ? all.map((e) => [e.id, chooseRuntime(e, caps, prefs)] as const) : []),
    [all, caps, prefs],
  );
  const picked = useMemo(
    () =>
      caps && entry
        ? wanted
          ? chooseRuntime(entry, caps, { ...prefs, backends: ['transformers'], dtype: wanted })
          : choices.get(entry.id)!
        : null,
    [caps, entry, wanted, choices, prefs],
  );
  // web-llm's choice still needs an ONNX dtype: transformers.js runs it if web-llm fails to load.
  const onnxChoice = useMemo(
    () =>
      caps && entry && picked?.ok && picked.backend === 'webllm'
        ? chooseRuntime(entry, caps, { backends: ['transformers'] })
        : null,
    [caps, entry, picked],
  );
  // Once per change of the store, not per render and option.
  const storedById = useMemo(
    () => new Map(all.map((e) => [e.id, kept ? storedBuildsOf(e, hubUrl, kept) : NOTHING_STORED] as const)),
    [all, hubUrl, kept],
  );
  const stored = (entry && storedById.get(entry.id)) ?? NOTHING_STORED;
  // Offline, the automatic choice takes a precision that is already stored over one that needs a download.
  const keptDtype = entry?.dtypes.find((d) => stored.onnx.has(d));
  const choice =
    !online &&
    !wanted &&
    caps &&
    entry &&
    picked?.ok &&
    keptDtype &&
    !loadsFromStore(picked, onnxChoice, stored)
      ? chooseRuntime(entry, caps, { ...prefs, backends: ['transformers'], dtype: keptDtype })
      : picked;
  // Unknown until the store has been read once: never block on a guess.
  const offlineBlocked =
    !online && kept !== null && choice?.ok === true && !loadsFromStore(choice, onnxChoice, stored);

  if (!entry) return <p className="muted">{t('picker.none')}</p>;
  const runnable = choice?.ok === true;
  const tooLarge = choice?.ok === false && choice.code === 'model-too-large';
  const instead = tooLarge && caps ? largestThatFits(all, caps, prefs, language ?? undefined) : null;
  // Offline, "Automatic" may have switched to a stored precision: the label says which.
  const auto = wanted ? choices.get(entry.id) : choice;
  const autoLabel = !auto?.ok
    ? t('picker.auto')
    : auto.backend === 'transformers'
      ? t('picker.autoDtype', { dtype: dtypeLabel(auto.dtype) })
      : t('picker.autoWebllm', { quantization: auto.quantization });
  const onDevice = (yes: boolean) => (yes ? 'yes' : 'no');
  return (
    <form
      className="model-picker"
      aria-label={t('picker.form')}
      onSubmit={(e) => {
        e.preventDefault();
        if (!choice?.ok || offlineBlocked) return;
        // Keeping a model is the moment to ask the browser not to evict it (within the click's user activation).
        void requestPersistence();
        // Loading the model picked for the language makes it the chosen one: it stays once the app saves it.
        if (switched) {
          setModelId(entry.id);
          setTouched(true);
        }
        if (choice.backend === 'webllm') {
          const dtype = onnxChoice?.ok && onnxChoice.backend === 'transformers' ? onnxChoice.dtype : 'q4';
          // Offline with only the ONNX build stored: web-llm would only fail on its download first.
          const backend = !online && !stored.mlc.has(choice.quantization) ? 'transformers' : rt.backend;
          onLoad(entry, dtype, 'auto', backend);
          return;
        }
        const device: Device | 'auto' =
          rt.device !== 'auto' ? rt.device : choice.device === 'wasm' && caps?.webgpu ? 'wasm' : 'auto';
        onLoad(entry, choice.dtype, device, rt.backend);
      }}
    >
      <label htmlFor={`${id}-model`} className="visually-hidden">
        {t('picker.model')}
      </label>
      <select
        id={`${id}-model`}
        data-testid="model-select"
        value={entry.id}
        // A narrow screen cuts the name short: the full one stays a hover (or long-press) away.
        title={fullName(entry)}
        onChange={(e) => choose(e.target.value)}
      >
        {all.map((e) => {
          const c = choices.get(e.id);
          return (
            <option key={e.id} value={e.id}>
              {t('picker.option', {
                name: e.label,
                params: e.params ? paramsText(e) : 'none',
                stored: onDevice(hasStoredBuild(storedById.get(e.id) ?? NOTHING_STORED)),
                runs: c && !c.ok ? 'no' : 'yes',
              })}
            </option>
          );
        })}
      </select>
      <label htmlFor={`${id}-dtype`} className="visually-hidden">
        {t('picker.precision')}
      </label>
      <select
        id={`${id}-dtype`}
        data-testid="dtype-select"
        value={wanted ?? 'auto'}
        onChange={(e) => setDtype(e.target.value as Dtype | 'auto')}
        title={t('picker.precisionHint')}
        disabled={entry.dtypes.length === 0}
      >
        <option value="auto">{autoLabel}</option>
        {entry.dtypes.map((d) => (
          <option key={d} value={d}>
            {t('picker.dtypeOption', { dtype: dtypeLabel(d), stored: onDevice(stored.onnx.has(d)) })}
          </option>
        ))}
      </select>
      <button
        type="submit"
        className="button primary"
        disabled={busy || !runnable || offlineBlocked}
        aria-describedby={offlineBlocked ? `${id}-offline ${id}-choice` : `${id}-choice`}
        data-testid="load-model"
      >
        {busy ? t('picker.loading') : t('picker.load')}
      </button>
      <div className="model-hint">
        {entry.goodFor && <p>{entryText(entry, 'goodFor')}</p>}
        {entry.languages.length > 0 && (
          <p data-testid="picker-languages">
            {t('picker.languages', { list: languageList(entry.languages) })}
          </p>
        )}
        {switched && (
          <p data-testid="chosen-for-language">
            <Trans
              t={t}
              i18nKey="picker.forLanguage"
              values={{
                language: languageName(switched.language),
                name: switched.entry.label,
                instead: switched.instead.label,
                insteadLanguages: languageList(switched.instead.languages),
              }}
              components={{ name: NAME, instead: NAME }}
            />
          </p>
        )}
        {forLanguage && !switched && (
          <p data-testid="suggest-for-language">
            <Trans
              t={t}
              i18nKey="picker.suggestForLanguage"
              values={{
                language: languageName(forLanguage.language),
                name: entry.label,
                better: forLanguage.entry.label,
              }}
              components={{ name: NAME, better: NAME }}
            />{' '}
            <button
              type="button"
              className="link-button"
              data-testid="use-for-language"
              onClick={() => choose(forLanguage.entry.id)}
            >
              {t('picker.useSuggestion', { name: forLanguage.entry.label })}
            </button>
          </p>
        )}
        {offlineBlocked && (
          <p className="choice-no" id={`${id}-offline`} data-testid="offline-blocked" role="status">
            <Trans
              t={t}
              i18nKey={wanted ? 'picker.offlineDtype' : 'picker.offline'}
              values={{ name: entry.label, dtype: wanted ? dtypeLabel(wanted) : '' }}
              components={{ name: NAME }}
            />{' '}
            {keptDtype || hasStoredBuild(stored)
              ? t('picker.offlinePickPrecision')
              : t('picker.offlinePickModel')}
          </p>
        )}
        <ChoiceLine choice={choice} entry={entry} id={`${id}-choice`} />
        {tooLarge && (
          <p className="choice-instead" data-testid="choice-instead">
            {instead ? (
              <>
                <Trans
                  t={t}
                  i18nKey="picker.largest"
                  values={{ name: instead.entry.label }}
                  components={{ name: NAME }}
                />{' '}
                <button
                  type="button"
                  className="link-button"
                  data-testid="choose-instead"
                  onClick={() => choose(instead.entry.id)}
                >
                  {t('picker.chooseIt')}
                </button>
              </>
            ) : (
              t('picker.noneFits')
            )}
          </p>
        )}
      </div>
    </form>
  );
}
