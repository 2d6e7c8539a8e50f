/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the model hub the app downloads from (default https://huggingface.co). */
  readonly VITE_PETIT_HUB_URL?: string;
  /** JSON array of extra catalog entries listed first (used by the demo and the end-to-end tests). */
  readonly VITE_PETIT_EXTRA_MODELS?: string;
  /** Host origins allowed to embed the widget (src/widget/origins.ts). */
  readonly VITE_PETIT_WIDGET_ORIGINS?: string;
  /** JSON: the widget's remote model, an endpoint that adds the key itself (src/widget/widget-provider.ts). */
  readonly VITE_PETIT_WIDGET_PROVIDER?: string;
}
