import { useCallback, useEffect, useRef, useState } from 'react';
import { toPetitError, type PetitError } from '../../engine/errors.ts';
import { t } from '../../i18n/index.ts';
import {
  openStorage,
  type ConversationSummary,
  type PetitStorage,
  type SearchHit,
  type StoredMessage,
} from '../../storage/index.ts';

export type ExportFormat = 'json' | 'markdown';

function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 48 ? `${line.slice(0, 47)}…` : line || t('chat:conversations.newTitle');
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Conversations kept in IndexedDB: the list for the sidebar and the messages of the open one. Messages are
 * written as they happen (an answer while it streams), so a crash or a reload loses nothing.
 */
export function useConversations() {
  const [storage, setStorage] = useState<PetitStorage | null>(null);
  /** 'stale': another tab upgraded the database; the app words either in the user's language. */
  const [storageError, setStorageError] = useState<'stale' | PetitError | null>(null);
  const [list, setList] = useState<ConversationSummary[]>([]);
  const [currentId, setCurrentId] = useState<string | null>(null);
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const currentRef = useRef<string | null>(null);

  const refreshList = useCallback(async (store: PetitStorage) => {
    setList(await store.conversations.list());
  }, []);

  const open = useCallback(
    async (id: string | null, store = storage) => {
      currentRef.current = id;
      setCurrentId(id);
      if (!id || !store) return setMessages([]);
      const conversation = await store.conversations.get(id);
      if (currentRef.current === id) setMessages(conversation?.messages ?? []);
    },
    [storage],
  );

  useEffect(() => {
    let closed = false;
    let opened: PetitStorage | null = null;
    openStorage({
      onStale: () => setStorageError('stale'),
    })
      .then(async (store) => {
        if (closed) return store.close();
        opened = store;
        // Answers a crash or a reload cut short keep their text and are marked interrupted.
        await store.conversations.markInterrupted();
        const conversations = await store.conversations.list();
        setStorage(store);
        setList(conversations);
        if (conversations[0]) {
          currentRef.current = conversations[0].id;
          setCurrentId(conversations[0].id);
          setMessages((await store.conversations.get(conversations[0].id))?.messages ?? []);
        }
      })
      .catch((error) => setStorageError(toPetitError(error, 'storage-error')));
    return () => {
      closed = true;
      opened?.close();
    };
  }, []);

  /** Returns the open conversation's id, creating one titled after the first message if needed. */
  const ensureConversation = useCallback(
    async (firstText: string, modelId: string | null): Promise<string | null> => {
      if (!storage) return null;
      if (currentRef.current) return currentRef.current;
      const created = await storage.conversations.create({ title: titleFrom(firstText), modelId });
      currentRef.current = created.id;
      setCurrentId(created.id);
      await refreshList(storage);
      return created.id;
    },
    [storage, refreshList],
  );

  const startNew = useCallback(() => void open(null), [open]);

  const rename = useCallback(
    async (id: string, title: string) => {
      if (!storage) return;
      await storage.conversations.rename(id, title);
      await refreshList(storage);
    },
    [storage, refreshList],
  );

  const remove = useCallback(
    async (id: string) => {
      if (!storage) return;
      await storage.conversations.delete(id);
      if (currentRef.current === id) await open(null);
      await refreshList(storage);
    },
    [storage, refreshList, open],
  );

  const search = useCallback(
    async (query: string): Promise<SearchHit[]> =>
      storage && query.trim() ? storage.conversations.search(query) : [],
    [storage],
  );

  const exportAll = useCallback(
    async (format: ExportFormat) => {
      if (!storage) return;
      const stamp = new Date().toISOString().slice(0, 10);
      if (format === 'json')
        download(
          `petit-conversations-${stamp}.json`,
          'application/json',
          await storage.conversations.exportJson(),
        );
      else
        download(
          `petit-conversations-${stamp}.md`,
          'text/markdown',
          await storage.conversations.exportMarkdown(),
        );
    },
    [storage],
  );

  const importFile = useCallback(
    async (file: File): Promise<number> => {
      if (!storage) return 0;
      const text = await file.text();
      const result = file.name.endsWith('.md')
        ? await storage.conversations.importMarkdown(text)
        : await storage.conversations.importJson(text);
      await refreshList(storage);
      return result.imported;
    },
    [storage, refreshList],
  );

  const touchList = useCallback(async () => {
    if (storage) await refreshList(storage);
  }, [storage, refreshList]);

  return {
    storage,
    storageError,
    list,
    currentId,
    messages,
    setMessages,
    open,
    startNew,
    ensureConversation,
    rename,
    remove,
    search,
    exportAll,
    importFile,
    touchList,
  };
}

export type ConversationsApi = ReturnType<typeof useConversations>;
