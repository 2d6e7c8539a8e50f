/**
 * The widget's allow-list: the host origins a Petit deployment lets embed its `/embed` page and talk to it.
 * Configured at build time with `VITE_PETIT_WIDGET_ORIGINS`, a comma- or space-separated list of origins
 * (`https://shop.example,https://help.example`), or `*` for any site. Unset means only Petit's own origin.
 */
export interface WidgetOrigins {
  any: boolean;
  origins: readonly string[];
}

export class WidgetOriginsError extends Error {
  override name = 'WidgetOriginsError';
}

export function parseWidgetOrigins(value: string | undefined): WidgetOrigins {
  const items = (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.includes('*')) return { any: true, origins: [] };
  const origins = items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new WidgetOriginsError(
        `VITE_PETIT_WIDGET_ORIGINS: "${item}" is not an origin. Write it as https://host[:port], comma-separated.`,
      );
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== item.replace(/\/$/, '')) {
      throw new WidgetOriginsError(
        `VITE_PETIT_WIDGET_ORIGINS: "${item}" must be a bare origin (scheme, host, port), e.g. https://shop.example.`,
      );
    }
    return url.origin;
  });
  return { any: false, origins: [...new Set(origins)] };
}

/** True when `origin` may embed the widget and send it messages; Petit's own origin always may. */
export function isAllowedOrigin(allow: WidgetOrigins, origin: string, ownOrigin: string): boolean {
  if (origin === ownOrigin) return true;
  if (origin === 'null' || !/^https?:\/\//.test(origin)) return false;
  return allow.any || allow.origins.includes(origin);
}

/** The CSP `frame-ancestors` source list for the embed page. */
export function frameAncestors(allow: WidgetOrigins): string {
  return allow.any
    ? "frame-ancestors 'self' https: http:"
    : ["frame-ancestors 'self'", ...allow.origins].join(' ');
}
