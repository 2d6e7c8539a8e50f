import { useCallback, useEffect, useState } from 'react';
import { probeCapabilities, withFreshStorage, type Capabilities } from '../../models/capabilities.ts';
import type { CatalogEntry } from '../../models/catalog.ts';
import { MODELS_CHANGED_EVENT, listLocalEntries } from '../../models/local-import.ts';
import { ModelStore, type StoredModel } from '../../models/store.ts';
import { modelIndex } from '../../models/store-db.ts';
import { keptModels, type KeptModels } from '../../models/stored.ts';

export const modelStore = new ModelStore();

function useModelsChanged(refresh: () => void): void {
  useEffect(() => {
    globalThis.addEventListener(MODELS_CHANGED_EVENT, refresh);
    return () => globalThis.removeEventListener(MODELS_CHANGED_EVENT, refresh);
  }, [refresh]);
}

/** The device's capabilities (probed once), with the storage estimate refreshed whenever models change. */
export function useCapabilities(): Readonly<Capabilities> | null {
  const [caps, setCaps] = useState<Readonly<Capabilities> | null>(null);
  const refresh = useCallback(() => {
    void probeCapabilities().then(withFreshStorage).then(setCaps);
  }, []);
  useEffect(refresh, [refresh]);
  useModelsChanged(refresh);
  return caps;
}

/** Models added from folders on disk, as catalog entries. */
export function useLocalEntries(): CatalogEntry[] {
  const [entries, setEntries] = useState<CatalogEntry[]>([]);
  const refresh = useCallback(() => {
    void listLocalEntries()
      .then(setEntries)
      .catch(() => setEntries([]));
  }, []);
  useEffect(refresh, [refresh]);
  useModelsChanged(refresh);
  return entries;
}

/** What the store holds, refreshed on demand and whenever models change. */
export function useStoredModels(active: boolean): { models: StoredModel[] | null; refresh: () => void } {
  const [models, setModels] = useState<StoredModel[] | null>(null);
  const refresh = useCallback(() => {
    void modelStore
      .listModels()
      .then(setModels)
      .catch(() => setModels([]));
  }, []);
  useEffect(() => {
    if (active) refresh();
  }, [active, refresh]);
  useModelsChanged(refresh);
  return { models, refresh };
}

/**
 * The complete models the index records, refreshed whenever models change; null until read. Only the index
 * (one IndexedDB read): the picker needs no file sizes, unlike the Models screen's full listing.
 */
export function useKeptModels(): KeptModels | null {
  const [kept, setKept] = useState<KeptModels | null>(null);
  const refresh = useCallback(() => {
    void modelIndex
      .all()
      .then((records) => setKept(keptModels(records)))
      .catch(() => setKept(keptModels([])));
  }, []);
  useEffect(refresh, [refresh]);
  useModelsChanged(refresh);
  return kept;
}
