/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the model hub the app downloads from (default https://huggingface.co). */
  readonly VITE_PETIT_HUB_URL?: string;
  /** JSON array of extra catalog entries listed first (used by the demo and the end-to-end tests). */
  readonly VITE_PETIT_EXTRA_MODELS?: string;
}
