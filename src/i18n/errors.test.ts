/**
 * describeError words every PetitError code in English and French, with the facts of the error's details, and
 * still reads well when the details are gone (an error reduced to its code crossed a postMessage).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, PetitError, type PetitErrorCode } from '../engine/errors.ts';
import { describeError } from './errors.ts';
import { initI18n } from './index.ts';
import { en, fr } from './resources.ts';

const HUB = 'http://127.0.0.1:9/org/model/resolve/abc123/onnx/model_q8.onnx';
/** Details as the places that throw each code give them (src/models, src/escalation, src/engine, workers). */
const DETAILS: Record<PetitErrorCode, Record<string, unknown>> = {
  'invalid-request': { provider: 'openai', host: 'api.openai.com', status: 400 },
  aborted: { partialText: 'Half an' },
  'not-loaded': {},
  'context-length-exceeded': { promptTokens: 2400, budget: 1536, contextLength: 2048, reservedTokens: 512 },
  'unknown-model': { reason: 'unknown-model', model: 'gpt-9', host: 'api.openai.com', status: 404 },
  'model-not-found': { status: 404, url: HUB },
  'hub-unreachable': { url: HUB },
  'hub-error': { status: 503, url: HUB },
  'invalid-model-config': { missing: 'config.json' },
  'invalid-model-file': { url: HUB, backend: 'webllm' },
  'integrity-mismatch': { url: HUB, reason: 'changed-under-commit', commit: 'abcdef0123456789' },
  'storage-quota': { needed: 2.5e9, free: 1e9, quota: 5e9, usage: 4e9 },
  'download-failed': { url: HUB, loaded: 50e6, total: 120e6 },
  'model-too-large': { peakBytes: 3.2e9, budgetBytes: 1.5e9, suggestion: 'Qwen2.5 0.5B Instruct' },
  'webgpu-unavailable': { device: 'webgpu' },
  'backend-unavailable': {},
  'out-of-memory': {},
  'worker-crashed': {},
  'backend-error': {},
  'consent-required': { mode: 'ask', provider: 'openai', host: 'api.openai.com' },
  'remote-auth': { provider: 'openai', host: 'api.openai.com', status: 401 },
  'remote-rate-limited': { provider: 'openai', host: 'api.openai.com', status: 429, retryAfterSeconds: 30 },
  'remote-server-error': { provider: 'openai', host: 'api.openai.com', status: 502 },
  'remote-timeout': { provider: 'openai', host: 'api.openai.com', timeoutMs: 60000, partialText: 'Part' },
  'remote-stream-dropped': { provider: 'openai', host: 'api.openai.com', partialText: 'Part' },
  'remote-bad-response': { provider: 'openai', host: 'api.openai.com' },
  'storage-error': {},
  'import-invalid': {},
  'remote-unreachable': { provider: 'ollama', host: '127.0.0.1:11434', reason: 'offline' },
};

/** No ICU left over, no neutral value leaking, no empty argument. */
function expectReadable(message: string, label: string) {
  expect(message, label).not.toMatch(/[{}]|\bnone\b|undefined|NaN|\(\)|“”|«\s*»/);
  expect(message.length, label).toBeGreaterThan(20);
  expect(message, label).not.toMatch(/^(the|le) /);
}

describe.each(['en', 'fr'] as const)('describeError in %s', (language) => {
  beforeAll(() => initI18n(language, { pseudo: false }));
  afterAll(() => initI18n('en', { pseudo: false }));

  it('has a message for every code', () => {
    const catalog = (language === 'en' ? en : fr).errors as Record<string, unknown>;
    expect(ERROR_CODES.filter((code) => typeof catalog[code] !== 'string')).toEqual([]);
  });

  it.each([...ERROR_CODES])('words %s with its details and without them', (code) => {
    const library = `library message for ${code}`;
    const full = describeError(new PetitError(code, library, { details: DETAILS[code] }));
    const bare = describeError({ code, message: library });
    expectReadable(full, `${code} with details`);
    expectReadable(bare, `${code} without details`);
    expect(full).not.toContain(library);
    expect(bare).not.toContain(library);
  });
});

describe('the facts in the details', () => {
  beforeAll(() => initI18n('fr', { pseudo: false }));
  afterAll(() => initI18n('en', { pseudo: false }));
  const say = (code: PetitErrorCode, details: Record<string, unknown>) =>
    describeError(new PetitError(code, 'x', { details })).replace(/\s/g, ' ');

  it('are formatted in French', () => {
    expect(say('remote-rate-limited', DETAILS['remote-rate-limited'])).toBe(
      'api.openai.com demande d’attendre 30 s avant la prochaine demande. Réessayez ensuite, ou gardez la réponse de cet appareil.',
    );
    expect(say('storage-quota', DETAILS['storage-quota'])).toContain('besoin de 2,5 Go');
    expect(say('storage-quota', DETAILS['storage-quota'])).toContain('plus que 1 Go');
    expect(say('hub-error', DETAILS['hub-error'])).toContain('org/model: onnx/model_q8.onnx (HTTP 503)');
    expect(say('context-length-exceeded', DETAILS['context-length-exceeded'])).toContain(
      'environ 2 400 jetons et le modèle en accepte 1 536',
    );
    expect(say('download-failed', DETAILS['download-failed'])).toContain('après 50 Mo sur 120 Mo');
    expect(say('remote-timeout', DETAILS['remote-timeout'])).toContain('1 min');
    expect(say('remote-stream-dropped', DETAILS['remote-stream-dropped'])).toContain(
      'coupée après 4 caractères',
    );
  });

  it('pick the sub-case that is true', async () => {
    expect(say('model-too-large', DETAILS['model-too-large'])).toContain('par exemple Qwen2.5 0.5B Instruct');
    expect(say('model-too-large', { peakBytes: 3.2e9, budgetBytes: 1.5e9 })).toMatch(
      /environ 3,2 Go .* \(environ 1,5 Go\)\. Choisissez un modèle ou une précision plus petits\.$/,
    );
    expect(say('integrity-mismatch', DETAILS['integrity-mismatch'])).toContain('sous le commit abcdef012345');
    expect(say('integrity-mismatch', { url: HUB, expected: 'aa', actual: 'bb' })).toContain('abîmé');
    expect(say('remote-unreachable', { host: 'localhost:1234', reason: 'refused-origin' })).toContain('CORS');
    const refused = (provider: string) =>
      say('remote-unreachable', { provider, host: '127.0.0.1:11434', reason: 'refused-origin' });
    expect(refused('ollama')).toContain('relancez-le avec OLLAMA_ORIGINS=');
    expect(refused('lmstudio')).toContain('Enable CORS');
    expect(refused('openai')).toContain('doit autoriser l’origine de cette page (CORS)');
    expect(say('unknown-model', { reason: 'unknown-deployment', host: 'x.openai.azure.com' })).toContain(
      'aucun déploiement',
    );
    expect(
      say('invalid-request', { field: 'response_format', keyword: 'minLength', path: '#/properties/name' }),
    ).toContain('Ce schéma JSON utilise « minLength » (à #/properties/name)');
    expect(say('invalid-request', { field: 'response_format' })).toContain('« response_format »');
    expect(say('remote-auth', { provider: 'openai', host: 'api.openai.com' })).toMatch(
      /^Il n’y a pas de clé/,
    );
    await initI18n('en', { pseudo: false });
    expect(say('consent-required', { mode: 'local-only' })).toMatch(
      /^Petit is set to “On this device only”, so nothing was sent/,
    );
    expect(say('remote-server-error', {})).toBe(
      'The remote server had a server problem. Try again in a moment, or use the answer from this device.',
    );
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
