/**
 * Which model to offer for a conversation's language: a model trained for English only answers French poorly,
 * so for a French conversation a model whose makers list French wins over one that does not.
 */
import type { Capabilities } from './capabilities.ts';
import { handlesLanguage, type CatalogEntry } from './catalog.ts';
import { chooseRuntime, type ChoicePreferences, type RuntimeChoice } from './chooser.ts';

export { handlesLanguage };

export interface LanguagePick {
  entry: CatalogEntry;
  choice: RuntimeChoice;
  language: string;
  /** The model it replaces, which its makers do not list for the language. */
  instead: CatalogEntry;
}

/**
 * For a conversation in `language`: when `current` is not listed for it, the model that is and runs here, closest
 * in size to `current` (the smaller on a tie: it downloads sooner). Null when `current` is fine, its languages
 * are unknown, or no listed model runs here.
 */
export function preferForLanguage(
  entries: readonly CatalogEntry[],
  current: CatalogEntry,
  language: string,
  caps: Capabilities,
  prefs: ChoicePreferences = {},
): LanguagePick | null {
  if (handlesLanguage(current, language) !== false) return null;
  const size = (e: CatalogEntry) =>
    Math.abs(Math.log(Math.max(e.paramCount, 1) / Math.max(current.paramCount, 1)));
  let best: { entry: CatalogEntry; choice: RuntimeChoice } | null = null;
  for (const entry of entries) {
    if (entry.id === current.id || handlesLanguage(entry, language) !== true) continue;
    const choice = chooseRuntime(entry, caps, prefs);
    if (!choice.ok) continue;
    const better =
      !best ||
      size(entry) < size(best.entry) ||
      (size(entry) === size(best.entry) && entry.paramCount < best.entry.paramCount);
    if (better) best = { entry, choice };
  }
  return best && { ...best, language, instead: current };
}
