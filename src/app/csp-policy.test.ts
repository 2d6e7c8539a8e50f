import { describe, expect, it } from 'vitest';
import { connectSources, contentSecurityPolicy } from './csp-policy.ts';

function directive(policy: string, name: string): string[] {
  const found = policy
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name);
  return found ? found.slice(1) : [];
}

describe('contentSecurityPolicy', () => {
  it('allows no inline script or eval, only WebAssembly compilation', () => {
    const policy = contentSecurityPolicy({ hubUrl: 'https://huggingface.co' });
    expect(directive(policy, 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directive(policy, 'worker-src')).toEqual(["'self'", 'blob:']);
    expect(directive(policy, 'img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(directive(policy, 'object-src')).toEqual(["'none'"]);
  });

  it('lets downloads follow Hugging Face redirects to its CDNs only for the Hugging Face hub', () => {
    const hf = connectSources({ hubUrl: 'https://huggingface.co/' });
    expect(hf).toEqual(expect.arrayContaining(['https://huggingface.co', 'https://*.hf.co', 'https://*.huggingface.co'])); // prettier-ignore
    const mirror = connectSources({ hubUrl: 'https://models.example.org/hub' });
    expect(mirror).toContain('https://models.example.org');
    expect(mirror.some((s) => s.includes('hf.co'))).toBe(false);
  });

  it('lists fixed preset providers and loopback, never a placeholder host, and adds build-time origins', () => {
    const sources = connectSources({
      hubUrl: 'http://127.0.0.1:8790',
      extraConnect: 'https://proxy.example.com, https://*.openai.azure.com',
    });
    expect(sources).toEqual(expect.arrayContaining(['https://api.openai.com', 'https://api.anthropic.com']));
    expect(sources).toEqual(expect.arrayContaining(['http://localhost:*', 'http://127.0.0.1:*']));
    expect(sources).toEqual(
      expect.arrayContaining(['https://proxy.example.com', 'https://*.openai.azure.com']),
    );
    expect(sources.join(' ')).not.toMatch(/[{}]/);
    expect(sources).not.toContain('https:');
  });

  it("allows the widget's remote model (VITE_PETIT_WIDGET_PROVIDER), and nothing for an invalid value", () => {
    const base = connectSources({ hubUrl: 'https://huggingface.co' });
    const withProxy = connectSources({
      hubUrl: 'https://huggingface.co',
      widgetProvider: JSON.stringify({ presetId: 'openai', baseUrl: 'https://ai.shop.example/v1' }),
    });
    expect(base).not.toContain('https://ai.shop.example');
    expect(withProxy).toEqual([...base, 'https://ai.shop.example']);
    expect(connectSources({ hubUrl: 'https://huggingface.co', widgetProvider: '{not json' })).toEqual(base);
  });

  it('refuses a hub or extra origin that is not http(s)', () => {
    expect(() => connectSources({ hubUrl: 'javascript:alert(1)' })).toThrow(/VITE_PETIT_HUB_URL/);
    expect(() =>
      connectSources({ hubUrl: 'https://huggingface.co', extraConnect: "'unsafe-inline'" }),
    ).toThrow(/VITE_PETIT_CSP_CONNECT/);
  });
});
