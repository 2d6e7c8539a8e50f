import { Trans, useTranslation } from 'react-i18next';
import { formatBytes } from '../../i18n/format.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import type { ChoiceResult } from '../../models/chooser.ts';
import { downloadBytesFor } from '../../models/chooser.ts';
import { ChoiceLine } from '../components/ModelPicker.tsx';
import {
  dtypeLabel,
  entryText,
  languageList,
  licenseName,
  licenseRestrictions,
  paramsText,
} from './model-text.ts';

/** Everything a person needs to decide whether to use a model: licence, openness, size, use, and fit here. */
export function ModelCard({ entry, choice }: { entry: CatalogEntry; choice: ChoiceResult | null }) {
  const { t } = useTranslation('models');
  const exact = Object.keys(entry.onnx?.files ?? {}).length > 0;
  const sizes = (entry.onnx?.dtypes ?? []).map((d) => {
    const { total } = downloadBytesFor(entry, d);
    const dtype = dtypeLabel(d);
    if (total <= 0) return t('card.sizeUnknown', { dtype });
    return t(exact ? 'card.sizeOf' : 'card.sizeAbout', { dtype, size: formatBytes(total) });
  });
  const restrictions = licenseRestrictions(entry);
  const languages =
    entry.languages.length === 0
      ? t('card.languagesUnknown')
      : t(entry.moreLanguages ? 'card.languageListMore' : 'card.languageList', {
          list: languageList(entry.languages),
        });
  return (
    <article className="model-card" aria-labelledby="model-card-title" data-testid="model-card">
      <h3 id="model-card-title" translate="no">
        {entry.label}
      </h3>
      {entry.goodFor && <p className="model-card-lead">{entryText(entry, 'goodFor')}</p>}
      <ChoiceLine choice={choice} entry={entry} />
      <dl>
        <dt>{t('card.family')}</dt>
        <dd>
          {entry.params ? (
            <Trans
              t={t}
              i18nKey="card.familyParams"
              values={{ family: entry.family, params: paramsText(entry) }}
              components={{ family: <span translate="no" /> }}
            />
          ) : (
            <span translate="no">{entry.family}</span>
          )}
        </dd>
        <dt>{t('card.license')}</dt>
        <dd data-testid="card-license">
          {entry.license.url ? (
            <a href={entry.license.url} target="_blank" rel="noreferrer noopener" translate="no">
              {licenseName(entry)}
            </a>
          ) : (
            licenseName(entry)
          )}
          {restrictions && <span className="muted"> — {restrictions}</span>}
        </dd>
        <dt>{t('card.weights')}</dt>
        <dd>{entry.openWeights ? t('card.weightsOpen') : t('card.weightsClosed')}</dd>
        <dt>{t('card.trainingData')}</dt>
        <dd data-testid="card-training-data">
          {t(`openness.${entry.trainingData}`)}
          <span className="muted"> — {entryText(entry, 'trainingData')}</span>
        </dd>
        <dt>{t('card.context')}</dt>
        <dd>{t('card.contextTokens', { count: entry.contextLength })}</dd>
        <dt>{t('card.languages')}</dt>
        <dd data-testid="card-languages">{languages}</dd>
        <dt>{t('card.builds')}</dt>
        <dd>
          {entry.noBrowserBuild ? (
            entryText(entry, 'noBrowserBuild')
          ) : (
            <ul className="card-builds">
              {entry.onnx && (
                <li>
                  <span translate="no">
                    transformers.js (<code>{entry.onnx.repo}</code>)
                  </span>
                  {sizes.length > 0 && t('card.sizes', { sizes: sizes.join(', ') })}
                </li>
              )}
              {entry.mlc.length > 0 && (
                <li translate="no">web-llm: {entry.mlc.map((b) => b.modelId).join(', ')}</li>
              )}
            </ul>
          )}
        </dd>
        <dt>{t('card.revision')}</dt>
        <dd data-testid="card-revision">
          {entry.source === 'local' ? (
            t('card.fromFolder')
          ) : entry.revision ? (
            <code title={entry.revision} translate="no">
              {entry.revision.slice(0, 12)}
            </code>
          ) : (
            <span className="warn">
              <Trans t={t} i18nKey="card.notPinned" components={{ code: <code /> }} />
            </span>
          )}
        </dd>
      </dl>
    </article>
  );
}
