/// <reference types="vite-plugin-pwa/vanillajs" />

/** Set by vite.config.ts: package version, commit and build time; every build has its own. */
declare const __PETIT_BUILD__: string;
