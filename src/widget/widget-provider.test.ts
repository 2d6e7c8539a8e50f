import { describe, expect, it } from 'vitest';
import { parseWidgetProvider, widgetProviderOrigin, widgetProviderSettings } from './widget-provider.ts';

const PROXY = { presetId: 'openai', baseUrl: 'https://ai.shop.example/v1', model: 'gpt-4o-mini' };

describe('VITE_PETIT_WIDGET_PROVIDER', () => {
  it('unset or blank: no provider and nothing to warn about', () => {
    expect(parseWidgetProvider(undefined)).toEqual({ provider: null, problem: null });
    expect(parseWidgetProvider('  ')).toEqual({ provider: null, problem: null });
  });

  it("reads a deployer's proxy and always makes a keyless client of it", () => {
    const { provider, problem } = parseWidgetProvider(JSON.stringify({ ...PROXY, label: 'Shop assistant' }));
    expect(problem).toBeNull();
    expect(provider).toEqual({ ...PROXY, label: 'Shop assistant' });
    expect(widgetProviderSettings(provider!)).toEqual({ ...PROXY, label: 'Shop assistant', keyless: true });
    expect(widgetProviderOrigin(JSON.stringify(PROXY))).toBe('https://ai.shop.example');
  });

  it('a server on this computer may use its preset address and http', () => {
    expect(parseWidgetProvider('{"presetId":"ollama"}').provider).toEqual({ presetId: 'ollama' });
    expect(widgetProviderOrigin('{"presetId":"ollama"}')).toBe('http://localhost:11434');
    const loopback = { presetId: 'openai', baseUrl: 'http://127.0.0.1:8796/v1' };
    expect(parseWidgetProvider(JSON.stringify(loopback)).provider).toEqual(loopback);
  });

  it.each([
    ['{presetId: openai}', /not valid JSON/],
    ['[1, 2]', /must be a JSON object/],
    ['"openai"', /must be a JSON object/],
    ['{"presetId":"nope","baseUrl":"https://x.example/v1"}', /presetId "nope" is not one of openai, /],
    ['{"presetId":"openai"}', /give the baseUrl of an endpoint that adds the key itself/],
    ['{"presetId":"openai","baseUrl":"http://ai.shop.example/v1"}', /must start with https:\/\//],
    ['{"presetId":"openai","baseUrl":"not a url"}', /"not a url" is not a URL/],
    ['{"presetId":"azure-openai","baseUrl":"https://{resource}.openai.azure.com"}', /no \{placeholders\}/],
    [
      '{"presetId":"openai","baseUrl":"https://x.example/v1","apiKey":"sk-1"}',
      /Never put a key in the build/,
    ],
    ['{"presetId":"openai","baseUrl":"https://x.example/v1","modle":"gpt"}', /unknown field\(s\) modle/],
    ['{"presetId":"openai","baseUrl":"https://x.example/v1","model":""}', /model must be a non-empty string/],
  ])('%s → no provider, and a warning that says what to fix', (value, problem) => {
    const parsed = parseWidgetProvider(value);
    expect(parsed.provider).toBeNull();
    expect(parsed.problem).toMatch(problem);
    expect(parsed.problem).toMatch(
      /^VITE_PETIT_WIDGET_PROVIDER: .* The widget answers on the device only\.$/,
    );
    expect(widgetProviderOrigin(value)).toBeNull();
  });
});
