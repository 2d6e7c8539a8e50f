import { useId, useMemo, useState } from 'react';
import type { BackendPreference, Device, Dtype } from '../../engine/types.ts';
import { requestPersistence } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { DTYPE_LABELS, chooseRuntime, type ChoiceResult } from '../../models/chooser.ts';
import { formatSize } from '../../models/format-size.ts';
import { useCapabilities, useLocalEntries } from '../models/use-models.ts';
import { RUNTIME_CHOICES, chooserPrefs, type RuntimeChoice } from '../settings.ts';
import '../models/models.css';

interface Props {
  catalog: CatalogEntry[];
  selectedId: string | null;
  busy: boolean;
  /** `device` is `wasm` when the chooser keeps a model off an existing GPU, else `auto` (WebGPU with fallback). */
  onLoad: (entry: CatalogEntry, dtype: Dtype, device: Device | 'auto', backend: BackendPreference) => void;
  /** Settings → Runtime: which backends and device the chooser may pick. */
  runtime?: RuntimeChoice;
}

/** One line saying what will run and why, or why it cannot. */
export function ChoiceLine({ choice, id }: { choice: ChoiceResult | null; id?: string }) {
  if (!choice) return <p className="model-choice muted">Checking what this device can run…</p>;
  return (
    <div className="model-choice" id={id} data-testid="model-choice" data-ok={choice.ok}>
      <p className={choice.ok ? 'choice-ok' : 'choice-no'}>
        <span aria-hidden="true">{choice.ok ? '✓ ' : '✗ '}</span>
        {choice.ok ? choice.reason : `Cannot run here: ${choice.reason}`}
        {choice.ok && choice.downloadBytes > 1e7 && (
          <span className="muted"> About {formatSize(choice.downloadBytes)} to download.</span>
        )}
      </p>
      {choice.ok && choice.notes.length > 0 && (
        <ul className="choice-notes">
          {choice.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ModelPicker({ catalog, selectedId, busy, onLoad, runtime = 'auto' }: Props) {
  const id = useId();
  const caps = useCapabilities();
  const local = useLocalEntries();
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
  const choice = useMemo(
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
      caps && entry && choice?.ok && choice.backend === 'webllm'
        ? chooseRuntime(entry, caps, { backends: ['transformers'] })
        : null,
    [caps, entry, choice],
  );

  if (!entry) return <p className="muted">No models are configured.</p>;
  const runnable = choice?.ok === true;
  const auto = choices.get(entry.id);
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
        if (!choice?.ok) return;
        // Keeping a model is the moment to ask the browser not to evict it (within the click's user activation).
        void requestPersistence();
        if (choice.backend === 'webllm') {
          const dtype = onnxChoice?.ok && onnxChoice.backend === 'transformers' ? onnxChoice.dtype : 'q4';
          onLoad(entry, dtype, 'auto', rt.backend);
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
          </option>
        ))}
      </select>
      <button
        type="submit"
        className="button primary"
        disabled={busy || !runnable}
        aria-describedby={`${id}-choice`}
        data-testid="load-model"
      >
        {busy ? 'Loading…' : 'Load'}
      </button>
      <div className="model-hint">
        {entry.goodFor && <p>{entry.goodFor}</p>}
        <ChoiceLine choice={choice} id={`${id}-choice`} />
      </div>
    </form>
  );
}
