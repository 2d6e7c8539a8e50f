import { useId, useState } from 'react';
import type { Dtype } from '../../engine/types.ts';
import type { CatalogEntry } from '../../models/catalog.ts';

interface Props {
  catalog: CatalogEntry[];
  selectedId: string | null;
  busy: boolean;
  onLoad: (entry: CatalogEntry, dtype: Dtype) => void;
}

const DTYPE_LABELS: Record<Dtype, string> = {
  q4: '4-bit',
  q8: '8-bit',
  fp16: '16-bit',
  fp32: '32-bit',
};

export function ModelPicker({ catalog, selectedId, busy, onLoad }: Props) {
  const id = useId();
  const [modelId, setModelId] = useState(selectedId ?? catalog[0]?.id ?? '');
  const entry = catalog.find((e) => e.id === modelId) ?? catalog[0];
  const [dtype, setDtype] = useState<Dtype | ''>('');
  const chosenDtype: Dtype = dtype && entry?.dtypes.includes(dtype) ? dtype : (entry?.dtypes[0] ?? 'q8');

  if (!entry) return <p className="muted">No models are configured.</p>;
  return (
    <form
      className="model-picker"
      aria-label="Choose a model"
      onSubmit={(e) => {
        e.preventDefault();
        onLoad(entry, chosenDtype);
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
          setDtype('');
        }}
      >
        {catalog.map((e) => (
          <option key={e.id} value={e.id}>
            {e.label}
            {e.params ? ` · ${e.params}` : ''}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-dtype`} className="visually-hidden">
        Precision
      </label>
      <select
        id={`${id}-dtype`}
        data-testid="dtype-select"
        value={chosenDtype}
        onChange={(e) => setDtype(e.target.value as Dtype)}
        title="Weight precision: fewer bits download faster and use less memory"
      >
        {entry.dtypes.map((d) => (
          <option key={d} value={d}>
            {DTYPE_LABELS[d]}
          </option>
        ))}
      </select>
      <button type="submit" className="button primary" disabled={busy} data-testid="load-model">
        {busy ? 'Loading…' : 'Load'}
      </button>
      {entry.goodFor && <p className="model-hint">{entry.goodFor}</p>}
    </form>
  );
}
