import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/engine/protocol.ts';
import {
  ChatTemplateError,
  DEFAULT_BUDGET,
  chatVariables,
  promptCharLimit,
  renderChatTemplate,
  specialTokens,
  templateSource,
} from './chat-template.ts';

// SmolLM2's template (the e2e tiny model's), and one with the features real templates use.
const CHATML =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const RICH =
  "{{ bos_token }}{% set ns = namespace(n=0) %}{% for i in range(messages|length) %}{% set ns.n = ns.n + 1 %}[{{ messages[i].role | upper }}:{{ messages[i].content | trim }}]{% endfor %}{{ ns.n }}{% if messages[-1].role == 'user' %}{{ eos_token }}{% endif %}{{ strftime_now('%Y') }}";

const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: ' Hi there ' },
];
const budget = (messages: { content: string }[]) => ({ ...DEFAULT_BUDGET, chars: promptCharLimit(messages) });
const render = (source: string, msgs = messages) =>
  renderChatTemplate(
    source,
    { messages: msgs, add_generation_prompt: true, bos_token: '<s>', eos_token: '</s>' },
    budget(msgs),
  );

describe('renderChatTemplate', () => {
  it('renders what jinja itself renders, for templates within the budget', () => {
    for (const source of [CHATML, RICH]) {
      const variables = { messages, add_generation_prompt: true, bos_token: '<s>', eos_token: '</s>' };
      expect(render(source)).toBe(new Template(source).render(variables));
    }
    expect(render(CHATML)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n Hi there <|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders with what transformers.js passes: no tools, no documents, a generation prompt, special tokens', () => {
    const source =
      '{% if tools is not none %}TOOLS{% endif %}{% if documents is none %}no documents {% endif %}{{ bos_token }}{{ messages | length }}{{ add_generation_prompt }}';
    const variables = chatVariables(messages, { bos_token: '<s>', chat_template: source });
    expect(renderChatTemplate(source, variables, budget(messages))).toBe('no documents <s>2true');
  });

  it('renders the longest conversation a request may hold (10,000 messages) within the budget', () => {
    const long = Array.from({ length: 10_000 }, (_, i): ChatMessage => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `message ${i}`,
    }));
    expect(render(CHATML, long)).toContain('message 9999<|im_end|>\n<|im_start|>assistant\n');
    expect(render(RICH, long)).toContain('[ASSISTANT:message 9999]10000');
  });

  it('refuses a hundred-million-item range before allocating it', () => {
    const started = performance.now();
    expect(() => render('{% for i in range(100000000) %}x{% endfor %}')).toThrow(
      /range\(\) of 100000000 numbers/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops a loop that would run for hours, at the step budget or the time budget', () => {
    // A hundred thousand ranges of a hundred thousand numbers: each number costs a step.
    const ranges = '{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}';
    // One range walked a thousand times by an empty loop: jinja runs an empty body without evaluating a node, so
    // only the blocks count.
    const empty =
      '{% set big = range(100000) %}{% for a in range(1000) %}{% for b in big %}{% endfor %}{% endfor %}';
    for (const source of [ranges, empty]) {
      const started = performance.now();
      const steps = { ...budget(messages), steps: 200_000, ms: 60_000 };
      expect(() => renderChatTemplate(source, { messages }, steps)).toThrow(/past 200000 steps/);
      const time = { ...budget(messages), steps: Infinity, ms: 200 };
      expect(() => renderChatTemplate(source, { messages }, time)).toThrow(/past 200 ms/);
      expect(performance.now() - started).toBeLessThan(5_000);
    }
  });

  it('stops a template whose prompt doubles past the character budget', () => {
    const source =
      "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}";
    expect(() => render(source)).toThrow(`prompt of over ${promptCharLimit(messages)} characters`);
  });

  it('reports a template that does not parse, raises, or calls what does not exist', () => {
    expect(() => render('{% for message in messages %}')).toThrow(ChatTemplateError);
    expect(() => render('{{ raise_exception("no system role") }}')).toThrow(/raised "no system role"/);
    expect(() => render('{{ messages | no_such_filter }}')).toThrow(ChatTemplateError);
  });
});

describe('templateSource', () => {
  it('picks the text, or the default of named templates, and refuses none', () => {
    expect(templateSource('{{ x }}')).toBe('{{ x }}');
    expect(templateSource({ default: '{%', tool_use: 'y' })).toBe('{%');
    for (const missing of [null, undefined, '', 42, { tool_use: 'y' }, ['x']])
      expect(() => templateSource(missing)).toThrow(/no chat template/);
  });
});

describe('specialTokens', () => {
  it('reads plain and added-token forms, and skips what is not text', () => {
    const config = { bos_token: '<s>', eos_token: { __type: 'AddedToken', content: '</s>' }, pad_token: null, unk_token: 5 }; // prettier-ignore
    expect(specialTokens(config)).toEqual({ bos_token: '<s>', eos_token: '</s>' });
    expect(specialTokens(null)).toEqual({});
  });
});
