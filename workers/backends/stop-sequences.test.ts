import { describe, expect, it } from 'vitest';
import { StopSequenceMatcher } from './stop-sequences.ts';

function feed(stops: string[], deltas: string[]): { shown: string; matcher: StopSequenceMatcher } {
  const matcher = new StopSequenceMatcher(stops);
  let shown = '';
  for (const d of deltas) shown += matcher.push(d);
  shown += matcher.flush();
  return { shown, matcher };
}

describe('StopSequenceMatcher', () => {
  it('passes text through when there are no stop sequences', () => {
    expect(feed([], ['Hello', ' world']).shown).toBe('Hello world');
  });

  it('cuts at a stop sequence split across deltas and never shows it', () => {
    const { shown, matcher } = feed(['\nUser:'], ['The answer is 4.', '\nUs', 'er: more']);
    expect(shown).toBe('The answer is 4.');
    expect(matcher.stopped).toBe(true);
    expect(matcher.text).toBe('The answer is 4.');
  });

  it('releases a held-back prefix that turned out not to be a stop sequence', () => {
    const { shown, matcher } = feed(['END'], ['It is the E', 'ND'.slice(0, 1), 'ing.']);
    expect(shown).toBe('It is the ENing.');
    expect(matcher.stopped).toBe(false);
  });

  it('stops at the earliest of several sequences', () => {
    expect(feed(['b', 'a'], ['xxab']).shown).toBe('xx');
  });

  it('flushes held text at the end of generation', () => {
    const matcher = new StopSequenceMatcher(['###']);
    expect(matcher.push('done #')).toBe('done ');
    expect(matcher.flush()).toBe('#');
    expect(matcher.text).toBe('done #');
  });
});
