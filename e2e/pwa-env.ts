import { APP_PORT } from './env.ts';

/** The folder playwright.config.ts builds the app into (one per port). */
export const E2E_DIST = `dist-e2e-${APP_PORT}`;

/** Ports of the PWA and widget tests' own servers (overridable, like the app's and the hub's). */
export const WIDGET_HOST_PORT = Number(process.env.PETIT_E2E_WIDGET_HOST_PORT ?? 4181);
/** Another origin, NOT in the e2e build's widget allow-list. */
export const STRANGER_PORT = Number(process.env.PETIT_E2E_STRANGER_PORT ?? 4182);
/** Serves copies of the built app, so a test can deploy a new build under an open page. */
export const DEPLOY_PORT = Number(process.env.PETIT_E2E_DEPLOY_PORT ?? 4183);

export const WIDGET_HOST_ORIGIN = `http://127.0.0.1:${WIDGET_HOST_PORT}`;
export const STRANGER_ORIGIN = `http://127.0.0.1:${STRANGER_PORT}`;
export const DEPLOY_ORIGIN = `http://127.0.0.1:${DEPLOY_PORT}`;

/** What the e2e build allows to embed the widget (VITE_PETIT_WIDGET_ORIGINS). */
export const E2E_WIDGET_ORIGINS = WIDGET_HOST_ORIGIN;
