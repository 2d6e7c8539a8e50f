import { useId, useMemo, useState } from 'react';
import type { BackendPreference, Device, Dtype } from 'petit';
import { requestPersistence } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { DTYPE_LABELS, chooseRuntime, largestThatFits, type ChoiceResult } from '../../models/chooser.ts';
import { formatSize } from '../../models/format-size.ts';
import { NOTHING_STORED, hasStoredBuild, storedBuildsOf, type StoredBuilds } from '../../models/stored.ts';
import { useCapabilities, useKeptModels, useLocalEntries } from '../models/use-models.ts';
import { useOnline } from '../pwa/use-online.ts';
import { RUNTIME_CHOICES, chooserPrefs, type RuntimeChoice } from '../settings.ts';
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
}

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

const ON_DEVICE = ' · on this device';

/** Notes may name things in Markdown backticks (`main`): shown as code, not as literal backticks. */
function plain(note: string) {
  return note.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/** One line saying what will run and why, or why it cannot. */
export function ChoiceLine({ choice, id }: { choice: ChoiceResult | null; id?: string }) {
  if (!choice) return <p className="model-choice muted">Checking what this device can run…</p>;
  return (
    <div className="model-choice" id={id} data-testid="model-choice" data-ok={choice.ok}>
      <p className={choice.ok ? 'choice-ok' : 'choice-no'}>
        <Icon name={choice.ok ? 'check' : 'cross'} size={14} />{' '}
        {choice.ok ? choice.reason : `Cannot run here: ${choice.reason}`}
        {choice.ok && choice.downloadBytes > 1e7 && (
          <span className="muted"> About {formatSize(choice.downloadBytes)} to download.</span>
        )}
      </p>
      {choice.ok && choice.notes.length > 0 && (
        <ul className="choice-notes">
          {choice.notes.map((note) => (
            <li key={note}>{plain(note)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ModelPicker({ catalog, selectedId, busy, onLoad, runtime = 'auto', hubUrl }: Props) {
  const id = useId();
  const caps = useCapabilities();
  const local = useLocalEntries();
  const online = useOnline();
  const kept = useKeptModels();
  const all = useMemo(() => [...local, ...catalog], [local, catalog]);
  const [modelId, setModelId] = useState(selectedId ?? catalog[0]?.id ?? '');
  const entry = all.find((e) => e.id === modelId) ?? all[0];
  const [dtype, setDtype] = useState<Dtype | 'auto'>('auto');
  const wanted = dtype !== 'auto' && entry?.dtypes.includes(dtype) ? dtype : undefined;

  const rt = RUNTIME_CHOICES[runtime];
  const prefs = useMemo(() => chooserPrefs(runtime), [runtime]);
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

  if (!entry) return <p className="muted">No models are configured.</p>;
  const runnable = choice?.ok === true;
  const tooLarge = choice?.ok === false && choice.code === 'model-too-large';
  const instead = tooLarge && caps ? largestThatFits(all, caps, prefs) : null;
  // Offline, "Automatic" may have switched to a stored precision: the label says which.
  const auto = wanted ? choices.get(entry.id) : choice;
  const autoLabel = !auto?.ok
    ? 'Automatic'
    : auto.backend === 'transformers'
      ? `Automatic (${DTYPE_LABELS[auto.dtype]})`
      : `Automatic (web-llm ${auto.quantization})`;
  return (
    <form
      className="model-picker"
      aria-label="Choose a model"
      onSubmit={(e) => {
        e.preventDefault();
        if (!choice?.ok || offlineBlocked) return;
        // Keeping a model is the moment to ask the browser not to evict it (within the click's user activation).
        void requestPersistence();
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
        Model
      </label>
      <select
        id={`${id}-model`}
        data-testid="model-select"
        value={entry.id}
        // A narrow screen cuts the name short: the full one stays a hover (or long-press) away.
        title={`${entry.label}${entry.params ? ` · ${entry.params}` : ''}`}
        onChange={(e) => {
          setModelId(e.target.value);
          setDtype('auto');
        }}
      >
        {all.map((e) => {
          const c = choices.get(e.id);
          return (
            <option key={e.id} value={e.id}>
              {e.label}
              {e.params ? ` · ${e.params}` : ''}
              {hasStoredBuild(storedById.get(e.id) ?? NOTHING_STORED) ? ON_DEVICE : ''}
              {c && !c.ok ? ' — cannot run here' : ''}
            </option>
          );
        })}
      </select>
      <label htmlFor={`${id}-dtype`} className="visually-hidden">
        Precision
      </label>
      <select
        id={`${id}-dtype`}
        data-testid="dtype-select"
        value={wanted ?? 'auto'}
        onChange={(e) => setDtype(e.target.value as Dtype | 'auto')}
        title="Weight precision: fewer bits download faster and use less memory"
        disabled={entry.dtypes.length === 0}
      >
        <option value="auto">{autoLabel}</option>
        {entry.dtypes.map((d) => (
          <option key={d} value={d}>
            {DTYPE_LABELS[d]}
            {stored.onnx.has(d) ? ON_DEVICE : ''}
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
        {busy ? 'Loading…' : 'Load'}
      </button>
      <div className="model-hint">
        {entry.goodFor && <p>{entry.goodFor}</p>}
        {offlineBlocked && (
          <p className="choice-no" id={`${id}-offline`} data-testid="offline-blocked" role="status">
            Offline: {wanted ? `the ${DTYPE_LABELS[wanted]} version of ` : ''}
            {entry.label} is not on this device yet, and downloading it needs a connection.{' '}
            {keptDtype || hasStoredBuild(stored)
              ? 'Choose the precision marked “on this device”.'
              : 'Connect to download it, or pick a model marked “on this device”.'}
          </p>
        )}
        <ChoiceLine choice={choice} id={`${id}-choice`} />
        {tooLarge && (
          <p className="choice-instead" data-testid="choice-instead">
            {instead ? (
              <>
                The largest model that fits this device: {instead.entry.label}.{' '}
                <button
                  type="button"
                  className="link-button"
                  data-testid="choose-instead"
                  onClick={() => {
                    setModelId(instead.entry.id);
                    setDtype('auto');
                  }}
                >
                  Choose it
                </button>
              </>
            ) : (
              'No model in the list fits this device’s memory.'
            )}
          </p>
        )}
      </div>
    </form>
  );
}
