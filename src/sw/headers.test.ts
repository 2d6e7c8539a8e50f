import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../app/csp-policy.ts';
import { parseWidgetOrigins } from '../widget/origins.ts';
import { headersForPath } from './headers.ts';

const widget = parseWidgetOrigins('https://shop.example');
const csp = contentSecurityPolicy({ hubUrl: 'https://huggingface.co' });

describe('headersForPath with the app policy', () => {
  it('sends the CSP as a header on pages and on worker scripts, which a <meta> policy does not bind', () => {
    for (const path of ['/', '/api.html', '/assets/inference.worker-abc123.js']) {
      expect(headersForPath(path, widget, csp)).toMatchObject({
        'Content-Security-Policy': csp,
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
    }
  });

  it('keeps frame-ancestors on the embed page alongside the policy', () => {
    const embed = headersForPath('/embed', widget, csp)['Content-Security-Policy'];
    expect(embed.startsWith(csp)).toBe(true);
    expect(embed).toMatch(/; frame-ancestors 'self' https:\/\/shop\.example$/);
    expect(headersForPath('/embed', widget)['Content-Security-Policy']).toBe(
      "frame-ancestors 'self' https://shop.example",
    );
  });

  it('serves the reachability probe without COEP (it could not see an opaque answer under require-corp)', () => {
    const probe = headersForPath('/assets/reach-probe.shared-worker-Dx1.js', widget, csp);
    expect(probe['Cross-Origin-Embedder-Policy']).toBeUndefined();
    expect(probe['Content-Security-Policy']).toBe(csp);
  });
});
