import { Environment, Interpreter, Template } from '@huggingface/jinja';
import type { PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { PetitError } from '../../src/engine/errors.ts';
import type { GenerationParams } from '../../src/engine/validate.ts';

/**
 * Renders a model's chat template (tokenizer_config.json) within a budget. The template comes with the model, so
 * it is untrusted code: one that loops for ever, builds a hundred-million-item range or grows a giant prompt would
 * otherwise hang or crash the worker. transformers.js renders with no limit, so Petit renders here and tokenizes
 * the text itself.
 */

/** What one render may spend. */
export interface RenderBudget {
  /** Template nodes and blocks evaluated, and range() items (10,000 messages through ChatML: about 210,000). */
  steps: number;
  /** Wall-clock time, checked every 1,024 steps. */
  ms: number;
  /** Longest string any expression may produce, the rendered prompt included. */
  chars: number;
  /** Most numbers one `range()` may make. */
  rangeItems: number;
}

export const DEFAULT_BUDGET: Omit<RenderBudget, 'chars'> = {
  steps: 2_000_000,
  ms: 5_000,
  rangeItems: 100_000,
};

/** The model's template was refused or failed while rendering: the model's configuration is at fault. */
export class ChatTemplateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChatTemplateError';
  }
}

/** The longest prompt a conversation may render to: twice its text (a template may repeat it) plus 1 M chars. */
export function promptCharLimit(messages: readonly { content: string }[]): number {
  return 2 * messages.reduce((sum, m) => sum + m.content.length, 0) + 1_000_000;
}

type Evaluate = Interpreter['evaluate'];

class BudgetedInterpreter extends Interpreter {
  private steps = 0;
  private readonly deadline: number;

  constructor(
    env: Environment,
    private readonly budget: RenderBudget,
  ) {
    super(env);
    this.deadline = performance.now() + budget.ms;
    // A loop body runs through evaluateBlock, not evaluate, when it is empty: `{% for b in x %}{% endfor %}`
    // nested in another loop would otherwise spin uncounted. (A private method of jinja's, covered by the tests.)
    const self = this as unknown as { evaluateBlock: (...a: unknown[]) => unknown };
    const block = self.evaluateBlock.bind(this);
    self.evaluateBlock = (...a: unknown[]) => {
      this.charge(1);
      return block(...a);
    };
  }

  /** Charges `steps`; throws past the budget. */
  charge(steps: number): void {
    const before = this.steps;
    this.steps += steps;
    if (this.steps > this.budget.steps)
      throw new ChatTemplateError(`it runs past ${this.budget.steps} steps (a loop that does not end)`);
    if (this.steps >> 10 !== before >> 10 && performance.now() > this.deadline)
      throw new ChatTemplateError(`it runs past ${this.budget.ms} ms (a loop that does not end)`);
  }

  override evaluate(...args: Parameters<Evaluate>): ReturnType<Evaluate> {
    this.charge(1);
    const value = super.evaluate(...args);
    if (typeof value.value === 'string' && value.value.length > this.budget.chars)
      throw new ChatTemplateError(`it makes a prompt of over ${this.budget.chars} characters`);
    return value;
  }
}

/** jinja's `range`, refusing more than `limit` numbers before it allocates them; each number costs a step. */
function boundedRange(limit: number, charge: (steps: number) => void) {
  return (start: number, stop?: number, step = 1): number[] => {
    if (stop === undefined) [start, stop] = [0, start];
    if (![start, stop, step].every(Number.isFinite) || step === 0)
      throw new ChatTemplateError('range() needs finite numbers and a step other than 0');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > limit) throw new ChatTemplateError(`range() of ${count} numbers (at most ${limit})`);
    charge(count);
    return Array.from({ length: count }, (_, i) => start + i * step);
  };
}

/** jinja's `strftime_now` for the formats chat templates use (Llama 3's "%d %b %Y"). */
function strftimeNow(format: string): string {
  const date = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'short' | 'long') => new Intl.DateTimeFormat('en-US', { month: style }).format(date);
  const parts: Record<string, () => string> = {
    '%Y': () => String(date.getFullYear()),
    '%m': () => pad(date.getMonth() + 1),
    '%d': () => pad(date.getDate()),
    '%b': () => month('short'),
    '%B': () => month('long'),
    '%H': () => pad(date.getHours()),
    '%M': () => pad(date.getMinutes()),
    '%%': () => '%',
  };
  return String(format).replace(/%[YmdbBHM%]/g, (token) => parts[token]());
}

let compiled: { source: string; template: Template } | null = null;

/**
 * The template's output for `variables` (messages, add_generation_prompt, the special tokens), within `budget`.
 * Anything wrong with the template (it does not parse, throws, or goes past the budget) is a ChatTemplateError.
 */
export function renderChatTemplate(
  source: string,
  variables: Record<string, unknown>,
  budget: RenderBudget,
): string {
  try {
    if (compiled?.source !== source) compiled = { source, template: new Template(source) };
    const env = new Environment();
    const interpreter = new BudgetedInterpreter(env, budget);
    // The globals jinja's own Template.render sets, with a range() that cannot exhaust memory.
    const globals: Record<string, unknown> = {
      false: false, true: true, none: null, False: false, True: true, None: null,
      raise_exception: (message: unknown) => {
        throw new ChatTemplateError(`it raised "${String(message).slice(0, 200)}"`);
      },
      range: boundedRange(budget.rangeItems, (steps) => interpreter.charge(steps)),
      strftime_now: strftimeNow,
    }; // prettier-ignore
    for (const [key, value] of Object.entries({ ...globals, ...variables })) env.set(key, value);
    const result = interpreter.run(compiled.template.parsed);
    const text: unknown = result.value;
    if (typeof text !== 'string') throw new ChatTemplateError('it does not render to text');
    return text;
  } catch (error) {
    if (error instanceof ChatTemplateError) throw error;
    // A parse error, an unknown filter, or the engine's own RangeError for a string past V8's limit.
    const message = error instanceof Error ? error.message : String(error);
    throw new ChatTemplateError(message.slice(0, 300), { cause: error });
  }
}

/** The tokenizer's template text (a list of named templates picks "default"), or why there is none. */
export function templateSource(chatTemplate: unknown): string {
  const chosen =
    chatTemplate && typeof chatTemplate === 'object' && !Array.isArray(chatTemplate)
      ? (chatTemplate as Record<string, unknown>).default
      : chatTemplate;
  if (typeof chosen !== 'string' || chosen === '')
    throw new ChatTemplateError('the model has no chat template (tokenizer_config.json `chat_template`)');
  return chosen;
}

const SPECIAL_TOKENS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

/** The special tokens a template may use, from tokenizer_config.json (a string, or an added token's content). */
export function specialTokens(config: Record<string, unknown> | null | undefined): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const key of SPECIAL_TOKENS) {
    const item = config && Object.hasOwn(config, key) ? config[key] : undefined;
    const text = typeof item === 'string' ? item : (item as { content?: unknown } | null)?.content;
    if (typeof text === 'string' && text !== '') tokens[key] = text;
  }
  return tokens;
}

/**
 * What a template renders a conversation with, as transformers.js's apply_chat_template passes it: tools and
 * documents are none, not undefined (`tools is not none` is true of an undefined one).
 */
export function chatVariables(
  messages: GenerationParams['messages'],
  config: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  return { messages, add_generation_prompt: true, tools: null, documents: null, ...specialTokens(config) };
}

/** The tokens of a conversation as the model's template lays it out, ready to generate the reply from. */
export function encodeChat(
  tokenizer: PreTrainedTokenizer,
  messages: GenerationParams['messages'],
): { input_ids: Tensor; attention_mask: Tensor } {
  try {
    const source = templateSource(tokenizer.chat_template);
    const variables = chatVariables(messages, tokenizer.config);
    const text = renderChatTemplate(source, variables, {
      ...DEFAULT_BUDGET,
      chars: promptCharLimit(messages),
    });
    const encoded = tokenizer(text, { add_special_tokens: false }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    if ((encoded.input_ids.dims.at(-1) ?? 0) === 0) throw new ChatTemplateError('it renders an empty prompt');
    return encoded;
  } catch (error) {
    // The template and tokenizer come with the model (tokenizer_config.json, tokenizer.json): a broken one is the
    // model's fault, not the request's or the runtime's.
    const message = error instanceof Error ? error.message : String(error);
    throw new PetitError(
      'invalid-model-config',
      `This model's chat template cannot be applied: ${message}. Its tokenizer_config.json is broken: choose another model or revision.`,
      { cause: error },
    );
  }
}
