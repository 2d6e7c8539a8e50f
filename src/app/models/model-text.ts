/**
 * The models' words in the user's language, at render time: the chooser's codes (choice-messages.ts), the
 * catalog's human-written notes (by entry id), precisions, parameter counts and language names. The library
 * keeps its English; this is where the app words the same facts itself.
 */
import { currentLanguage, i18next, t } from '../../i18n/index.ts';
import { formatBytes, formatList, formatNumber } from '../../i18n/format.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import type { ChoiceMessage, RuntimeOption, Shortfall } from '../../models/choice-messages.ts';
import type { OnnxDtype } from '../../models/estimates.ts';
import type { MemoryBudget } from '../../models/capabilities.ts';

/** Catalog keys cannot hold a dot (i18next's separator): `qwen2.5-0.5b` is filed as `qwen2_5-0_5b`. */
const keyOf = (id: string) => id.replace(/\./g, '_');

/** A text the catalog may translate, else the entry's own (a deployment's extra model, a folder from disk). */
function translated(key: string, fallback: string): string {
  return i18next.exists(`models:${key}`) ? t(`models:${key}` as never) : fallback;
}

const DTYPE_KEYS = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;

export function dtypeLabel(dtype: string): string {
  return (DTYPE_KEYS as readonly string[]).includes(dtype) ? t(`models:dtype.${dtype as OnnxDtype}`) : dtype;
}

/** "1.7B" as the current language writes it ("1,7 Md" in French); the catalog's text when it is not a count. */
export function paramsText(entry: CatalogEntry): string {
  const match = /^(\d+(?:\.(\d+))?)([MB])$/.exec(entry.params);
  if (!match) return entry.params;
  const digits = match[2]?.length ?? 0;
  const value = Number(match[1]) * (match[3] === 'B' ? 1e9 : 1e6);
  return formatNumber(value, {
    notation: 'compact',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** "SmolLM2 135M Instruct · 135M": the name as the picker and the lists show it (and their titles). */
export function fullName(entry: CatalogEntry): string {
  return t('models:picker.fullName', {
    name: entry.label,
    params: entry.params ? paramsText(entry) : 'none',
  });
}

/** Language names in the user's language, as a list ("English, French and Spanish"). */
export function languageList(codes: readonly string[]): string {
  return formatList(codes.map(languageName));
}

/** One language's name in the user's language ("French", "français"). */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export function entryText(entry: CatalogEntry, field: 'goodFor' | 'trainingData' | 'noBrowserBuild'): string {
  const own =
    field === 'goodFor'
      ? entry.goodFor
      : field === 'trainingData'
        ? entry.trainingDataNote
        : (entry.noBrowserBuild ?? '');
  if (entry.source === 'builtin') return translated(`entries.${keyOf(entry.id)}.${field}`, own);
  if (field === 'trainingData' && entry.license.id === 'NOASSERTION' && own === 'Not described.')
    return t('models:unknownLicense.trainingData');
  return own;
}

export function licenseName(entry: CatalogEntry): string {
  return entry.license.id === 'NOASSERTION' ? t('models:unknownLicense.name') : entry.license.name;
}

export function licenseRestrictions(entry: CatalogEntry): string {
  const { id, restrictions } = entry.license;
  if (!restrictions) return '';
  if (id === 'NOASSERTION') return t('models:unknownLicense.restrictions');
  return translated(`licenseRestrictions.${keyOf(id)}`, restrictions);
}

function optionText(option: RuntimeOption): string {
  return option.backend === 'webllm'
    ? t('models:choice.option', {
        backend: 'webllm',
        quantization: option.quantization,
        dtype: '',
        device: '',
      })
    : t('models:choice.option', {
        backend: 'transformers',
        quantization: '',
        dtype: dtypeLabel(option.dtype),
        device: option.device === 'webgpu' ? 'WebGPU' : 'WASM',
      });
}

function budgetText(budget: MemoryBudget): string {
  if (budget.kind === 'device-memory')
    return t('models:choice.budget.device-memory', {
      memory: formatBytes((budget.deviceMemoryGB ?? 0) * 1e9),
    });
  if (budget.kind === 'ios-safari') return t('models:choice.budget.ios-safari', { size: formatBytes(1.5e9) });
  return t('models:choice.budget.failed-before');
}

function shortfallText(s: Shortfall, start: boolean): string {
  const base = start ? 'shortfallStart' : 'shortfall';
  switch (s.kind) {
    case 'gpu-memory':
      return t(`models:choice.${base}.gpu-memory`, {
        needs: formatBytes(s.needsBytes),
        memory: formatBytes(s.deviceMemoryGB * 1e9),
      });
    case 'memory-budget':
      return t(`models:choice.${base}.memory-budget`, {
        needs: formatBytes(s.needsBytes),
        budget: formatBytes(s.budget.bytes),
        why: budgetText(s.budget),
      });
    case 'wasm-address-space':
      return t(`models:choice.${base}.wasm-address-space`, {
        needs: formatBytes(s.needsBytes),
        // Intl has no binary units; WASM's limit is a power of two (4 GiB).
        max: formatNumber(s.maxBytes / 2 ** 30, { maximumFractionDigits: 1 }),
      });
    case 'gpu-buffer':
      return t(`models:choice.${base}.gpu-buffer`, {
        tensor: formatBytes(s.tensorBytes),
        limit: formatBytes(s.limitBytes),
      });
    case 'storage':
      return t(`models:choice.${base}.storage`, {
        needs: formatBytes(s.needsBytes),
        free: formatBytes(s.freeBytes),
      });
  }
}

/** The chooser's sentence in the user's language; may hold `<code>` tags (see withCode in ModelPicker). */
export function choiceText(message: ChoiceMessage, entry: CatalogEntry): string {
  const adapter = (a: string | null) => a ?? t('models:choice.gpu');
  switch (message.code) {
    case 'webllm':
      return t('models:choice.webllm', {
        adapter: adapter(message.adapter),
        quantization: message.quantization,
      });
    case 'webgpu':
      return t('models:choice.webgpu', {
        dtype: dtypeLabel(message.dtype),
        adapter: adapter(message.adapter),
        small: message.dtype === 'q4' || message.dtype === 'q4f16' ? 'yes' : 'no',
      });
    case 'wasm':
      return t('models:choice.wasm', {
        dtype: dtypeLabel(message.dtype),
        webgpu: message.webgpu ? 'yes' : 'no',
        threads: message.threads,
        why: message.dtype === 'q8' || message.dtype === 'fp32' ? message.dtype : 'other',
      });
    case 'no-shader-f16':
    case 'software-adapter':
    case 'single-thread':
    case 'faster-does-not-fit':
    case 'not-pinned':
      return t(`models:choice.${message.code}`);
    case 'option-does-not-fit':
      return t('models:choice.option-does-not-fit', {
        option: optionText(message.option),
        shortfall: shortfallText(message.shortfall, false),
      });
    case 'smallest-does-not-fit':
      return t('models:choice.smallest-does-not-fit', {
        option: optionText(message.option),
        shortfall: shortfallText(message.shortfall, true),
      });
    case 'no-browser-build':
      return entryText(entry, 'noBrowserBuild');
    case 'only-unsupported-dtypes':
      return t('models:choice.only-unsupported-dtypes', {
        dtypes: formatList(message.dtypes.map(dtypeLabel)),
        hasMlc: message.hasMlc ? 'yes' : 'no',
      });
    case 'mlc-only':
      return t('models:choice.mlc-only', { webgpu: message.webgpu ? 'yes' : 'no' });
    case 'no-such-build': {
      const { dtype, device } = message;
      if (!dtype && !device) return t('models:choice.no-such-build-here');
      const wanted =
        dtype && device
          ? t('models:choice.wantedOn', { dtype: dtypeLabel(dtype), device })
          : dtype
            ? dtypeLabel(dtype)
            : (device ?? '');
      return t('models:choice.no-such-build', { wanted });
    }
  }
}
