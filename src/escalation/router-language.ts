/** The language a prompt is written in, from its function words and the letters only one language uses. */
import { FUNCTION_WORDS, count } from './router-cues.ts';

export type PromptLanguage = 'en' | 'fr' | 'es' | 'de' | 'other';

/** The prompt's language among en/fr/es/de, or 'other' (non-Latin script, or no clear signal in another one). */
export function detectLanguage(text: string): PromptLanguage {
  const letters = (text.match(/\p{L}/gu) ?? []).length;
  const nonLatin = (text.match(/(?!\p{Script=Latin})\p{L}/gu) ?? []).length;
  if (letters > 0 && nonLatin / letters > 0.3) return 'other';
  let best: PromptLanguage = 'en';
  let bestScore = 0;
  for (const lang of ['en', 'fr', 'es', 'de'] as const) {
    let score = count(FUNCTION_WORDS[lang], text);
    // Letters only one of the languages uses.
    if (lang === 'fr') score += 0.5 * count(/[àâçèêëîïôœùû]/giu, text);
    if (lang === 'es') score += 0.5 * count(/[ñ¿¡áíóú]/giu, text);
    if (lang === 'de') score += 0.5 * count(/[äöüß]/giu, text);
    if (score > bestScore) {
      best = lang;
      bestScore = score;
    }
  }
  return best;
}
