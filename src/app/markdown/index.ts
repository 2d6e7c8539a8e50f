export { MarkdownMessage } from './MarkdownMessage.tsx';
export type { MarkdownMessageProps } from './MarkdownMessage.tsx';
export {
  renderMarkdown,
  renderMarkdownBlocks,
  safeLinkUrl,
  safeImageUrl,
  escapeHtml,
} from './render-markdown.ts';
export type { RenderOptions, RenderedBlock } from './render-markdown.ts';
