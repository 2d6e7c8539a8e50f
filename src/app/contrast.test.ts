/**
 * The colour tokens in styles.css meet WCAG AA for text in both themes: 4.5:1 for body text on every surface it
 * sits on, the same for the text of filled buttons and the user's bubble.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('./styles.css', import.meta.url), 'utf8');

/** The custom properties of the first rule whose selector matches exactly, as hex colours. */
function tokens(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  expect(start, `rule ${selector}`).toBeGreaterThanOrEqual(0);
  const body = css.slice(start, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\b/gi)].map((m) => [m[1], m[2]]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const light = tokens(':root');
const themes = {
  light,
  // The dark theme overrides some tokens and keeps the rest.
  dark: { ...light, ...tokens(":root[data-theme='dark']") },
  'dark (system)': { ...light, ...tokens(":root:not([data-theme='light'])") },
};

const PAIRS: [text: string, background: string][] = [
  ...['fg', 'muted', 'warn', 'danger', 'accent'].flatMap((text) =>
    ['bg', 'surface', 'surface-2', 'code-bg'].map((bg): [string, string] => [text, bg]),
  ),
  ['accent-fg', 'accent'],
  ['user-fg', 'user-bubble'],
  ['danger-fg', 'danger'],
];

describe.each(Object.entries(themes))('the %s theme', (_name, t) => {
  it.each(PAIRS)('--%s on --%s reaches 4.5:1', (text, background) => {
    expect(t[text], `--${text}`).toMatch(/^#/);
    expect(t[background], `--${background}`).toMatch(/^#/);
    expect(contrast(t[text], t[background])).toBeGreaterThanOrEqual(4.5);
  });
});
