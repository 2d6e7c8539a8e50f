import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConversationSummary, SearchHit } from '../../storage/index.ts';
import type { ConversationsApi } from '../hooks/use-conversations.ts';
import { describeError } from '../../i18n/errors.ts';
import { formatDate } from '../../i18n/format.ts';
import { Icon } from './Icon.tsx';
import './conversations.css';

interface Props {
  conversations: ConversationsApi;
  onPicked: () => void;
  /** The phone drawer is open: focus moves into it and Escape closes it. */
  drawerOpen?: boolean;
  onCloseDrawer?: () => void;
}

/** Today's time, or the day, in the app's language. */
function when(ms: number): string {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString()
    ? formatDate(d, { hour: '2-digit', minute: '2-digit' })
    : formatDate(d, { month: 'short', day: 'numeric' });
}

type Message = { imported: number } | { error: unknown };

function Row({
  item,
  active,
  onOpen,
  onRename,
  onDelete,
}: {
  item: ConversationSummary;
  active: boolean;
  onOpen: () => void;
  onRename: (title: string) => void;
  onDelete: () => void;
}) {
  const { t } = useTranslation('chat');
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(item.title);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  if (editing) {
    return (
      <li className="conv-row editing">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (title.trim()) onRename(title.trim());
            setEditing(false);
          }}
        >
          <input
            ref={input}
            aria-label={t('conversations.titleField')}
            translate="no"
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
            onBlur={() => setEditing(false)}
            data-testid="rename-input"
          />
        </form>
      </li>
    );
  }
  return (
    <li className={`conv-row ${active ? 'active' : ''}`} data-testid="conversation">
      <button type="button" className="conv-open" onClick={onOpen} aria-current={active ? 'true' : undefined}>
        <span className="conv-title" translate="no">
          {item.title}
        </span>
        {/* A time or date from Intl, already in the app's language. */}
        <span className="conv-when" translate="no">
          {when(item.updatedAt)}
        </span>
      </button>
      <div className="conv-actions">
        <button
          type="button"
          className="icon-button"
          aria-label={t('conversations.renameNamed', { title: item.title })}
          title={t('conversations.rename')}
          onClick={() => {
            setTitle(item.title);
            setEditing(true);
          }}
        >
          <Icon name="pencil" />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={t('conversations.deleteNamed', { title: item.title })}
          title={t('conversations.delete')}
          onClick={() => {
            if (confirm(t('conversations.confirmDelete', { title: item.title }))) onDelete();
          }}
        >
          <Icon name="trash" />
        </button>
      </div>
    </li>
  );
}

export function ConversationList({ conversations, onPicked, drawerOpen, onCloseDrawer }: Props) {
  const { t } = useTranslation('chat');
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const nav = useRef<HTMLElement>(null);
  const { search } = conversations;

  // On a phone the list is a drawer over the chat: opening it takes the focus there (its first control).
  useEffect(() => {
    if (drawerOpen) nav.current?.querySelector<HTMLElement>('button, input')?.focus();
  }, [drawerOpen]);

  useEffect(() => {
    if (!query.trim()) return;
    const timer = setTimeout(() => void search(query).then(setHits), 150);
    return () => clearTimeout(timer);
  }, [query, search]);
  const shownHits = query.trim() ? hits : null;

  const open = (id: string) => {
    void conversations.open(id);
    onPicked();
  };

  return (
    <nav
      ref={nav}
      className="sidebar"
      aria-label={t('conversations.nav')}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && drawerOpen && !e.defaultPrevented) {
          e.preventDefault();
          onCloseDrawer?.();
        }
      }}
    >
      <button
        type="button"
        className="button primary new-chat"
        onClick={() => {
          conversations.startNew();
          onPicked();
        }}
        data-testid="new-chat"
      >
        {t('conversations.new')}
      </button>
      <input
        type="search"
        className="conv-search"
        placeholder={t('conversations.searchPlaceholder')}
        aria-label={t('conversations.search')}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="search"
      />
      {shownHits ? (
        <ul className="conv-list" aria-label={t('conversations.results')}>
          {shownHits.length === 0 && (
            <li className="muted conv-empty">{t('conversations.noMatch', { query })}</li>
          )}
          {shownHits.map((hit) => (
            <li key={hit.conversationId} className="conv-row" data-testid="search-hit">
              <button type="button" className="conv-open" onClick={() => open(hit.conversationId)}>
                <span className="conv-title" translate="no">
                  {hit.title}
                </span>
                {hit.matches[0]?.snippet && (
                  <span className="conv-snippet" translate="no">
                    {hit.matches[0].snippet}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="conv-list">
          {conversations.list.length === 0 && (
            <li className="muted conv-empty">{t('conversations.empty')}</li>
          )}
          {conversations.list.map((item) => (
            <Row
              key={item.id}
              item={item}
              active={item.id === conversations.currentId}
              onOpen={() => open(item.id)}
              onRename={(title) => void conversations.rename(item.id, title)}
              onDelete={() => void conversations.remove(item.id)}
            />
          ))}
        </ul>
      )}
      <div className="sidebar-foot">
        <button
          type="button"
          className="button ghost small"
          onClick={() => void conversations.exportAll('json')}
        >
          {t('conversations.exportJson')}
        </button>
        <button
          type="button"
          className="button ghost small"
          onClick={() => void conversations.exportAll('markdown')}
        >
          {t('conversations.exportMarkdown')}
        </button>
        <button type="button" className="button ghost small" onClick={() => fileInput.current?.click()}>
          {t('conversations.import')}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,.md,application/json,text/markdown"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (!file) return;
            conversations.importFile(file).then(
              (imported) => setMessage({ imported }),
              (error: unknown) => setMessage({ error }),
            );
          }}
        />
        {message && (
          <p className="muted small" role="status">
            {'imported' in message
              ? t('conversations.imported', { count: message.imported })
              : describeError(message.error)}
          </p>
        )}
        <p className="muted small">{t('conversations.savedHere')}</p>
      </div>
    </nav>
  );
}
