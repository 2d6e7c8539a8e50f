import { buildCatalog, type CatalogEntry } from './catalog.ts';

let built: readonly CatalogEntry[] | null = null;

/**
 * The catalog this build of the app was made with (the built-in one plus `VITE_PETIT_EXTRA_MODELS`), built once
 * per page or worker. A separate file from catalog.ts so that Node tests of the catalog need no Vite env.
 */
export function appCatalog(): readonly CatalogEntry[] {
  built ??= buildCatalog(import.meta.env.VITE_PETIT_EXTRA_MODELS);
  return built;
}
