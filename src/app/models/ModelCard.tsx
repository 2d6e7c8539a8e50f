import type { CatalogEntry, Openness } from '../../models/catalog.ts';
import type { ChoiceResult } from '../../models/chooser.ts';
import { DTYPE_LABELS, downloadBytesFor } from '../../models/chooser.ts';
import { formatSize } from '../../models/format-size.ts';
import { ChoiceLine } from '../components/ModelPicker.tsx';

const OPENNESS: Record<Openness, string> = {
  open: 'Open',
  'partly-open': 'Partly open',
  closed: 'Not published',
};

/** Everything a person needs to decide whether to use a model: licence, openness, size, use, and fit here. */
export function ModelCard({ entry, choice }: { entry: CatalogEntry; choice: ChoiceResult | null }) {
  const sizes = entry.onnx
    ? entry.onnx.dtypes.map((d) => {
        const { total } = downloadBytesFor(entry, d);
        const exact = Object.keys(entry.onnx?.files ?? {}).length > 0;
        return `${DTYPE_LABELS[d]} ${total > 0 ? `${exact ? '' : '≈ '}${formatSize(total)}` : '(size unknown)'}`;
      })
    : [];
  return (
    <article className="model-card" aria-labelledby="model-card-title" data-testid="model-card">
      <h3 id="model-card-title">{entry.label}</h3>
      {entry.goodFor && <p className="model-card-lead">{entry.goodFor}</p>}
      <ChoiceLine choice={choice} />
      <dl>
        <dt>Family</dt>
        <dd>
          {entry.family}
          {entry.params && ` · ${entry.params} parameters`}
        </dd>
        <dt>Licence</dt>
        <dd data-testid="card-license">
          {entry.license.url ? (
            <a href={entry.license.url} target="_blank" rel="noreferrer noopener">
              {entry.license.name}
            </a>
          ) : (
            entry.license.name
          )}
          {entry.license.restrictions && <span className="muted"> — {entry.license.restrictions}</span>}
        </dd>
        <dt>Weights</dt>
        <dd>{entry.openWeights ? 'Open: anyone can download them' : 'Not published'}</dd>
        <dt>Training data</dt>
        <dd data-testid="card-training-data">
          {OPENNESS[entry.trainingData]}
          <span className="muted"> — {entry.trainingDataNote}</span>
        </dd>
        <dt>Context</dt>
        <dd>{entry.contextLength.toLocaleString('en')} tokens</dd>
        <dt>Browser builds</dt>
        <dd>
          {entry.noBrowserBuild ??
            [
              entry.onnx ? `transformers.js (${entry.onnx.repo}): ${sizes.join(', ')}` : null,
              entry.mlc.length > 0 ? `web-llm: ${entry.mlc.map((b) => b.modelId).join(', ')}` : null,
            ]
              .filter(Boolean)
              .join('; ')}
        </dd>
        <dt>Revision</dt>
        <dd data-testid="card-revision">
          {entry.source === 'local' ? (
            'Added from a folder on this device'
          ) : entry.revision ? (
            <code title={entry.revision}>{entry.revision.slice(0, 12)}</code>
          ) : (
            <span className="warn">
              The catalog pins no revision: the first download pins the commit `main` is at then, and every
              later download and resume fetches that commit (see On this device)
            </span>
          )}
        </dd>
      </dl>
    </article>
  );
}
