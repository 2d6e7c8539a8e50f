import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { headersForPath } from '../src/sw/headers.ts';
import { parseWidgetOrigins } from '../src/widget/origins.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Page {
  body: string;
  headers?: Record<string, string>;
}

export interface StaticServer {
  url: string;
  /** Serve another folder from now on (a new deployment). */
  setRoot(root: string): void;
  close(): Promise<void>;
}

/**
 * A small HTTP server for the PWA tests: either fixed pages (a host site for the widget), or a built app folder
 * served as a production host would (the same per-path headers as vite preview, `/embed` → embed.html, other
 * routes → index.html), with a root that can be swapped to deploy a new build under an open page.
 */
export async function startStaticServer(
  port: number,
  content: {
    pages?: Record<string, Page>;
    root?: string;
    widgetOrigins?: string;
    /** Leave out the embed page's frame-ancestors (a host that forgot it), to test the message checks alone. */
    omitFrameAncestors?: boolean;
  },
): Promise<StaticServer> {
  let root = content.root;
  const widget = parseWidgetOrigins(content.widgetOrigins);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const page = content.pages?.[pathname];
    if (page) {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store', ...page.headers });
      return res.end(page.body);
    }
    if (!root) {
      res.writeHead(404);
      return res.end('not found');
    }
    let file = join(root, normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
    if (pathname.endsWith('/')) file = join(file, 'index.html');
    if (!existsSync(file) && existsSync(`${file}.html`)) file = `${file}.html`;
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (extname(pathname)) {
        res.writeHead(404);
        return res.end('not found');
      }
      file = join(root, 'index.html');
    }
    const headers = headersForPath(pathname, widget);
    if (content.omitFrameAncestors) delete headers['Content-Security-Policy'];
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      // Like a production host: the browser revalidates, so a new sw.js is seen at the next update check.
      'cache-control': 'no-cache',
      ...headers,
    });
    createReadStream(file).pipe(res);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    setRoot: (next) => void (root = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
