import { useEffect, useRef, useState } from 'react';
import type { ConversationSummary, SearchHit } from '../../storage/index.ts';
import type { ConversationsApi } from '../hooks/use-conversations.ts';
import { Icon } from './Icon.tsx';
import './conversations.css';

interface Props {
  conversations: ConversationsApi;
  onPicked: () => void;
}

function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

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
            aria-label="Conversation title"
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
        <span className="conv-title">{item.title}</span>
        <span className="conv-when">{when(item.updatedAt)}</span>
      </button>
      <div className="conv-actions">
        <button
          type="button"
          className="icon-button"
          aria-label={`Rename “${item.title}”`}
          title="Rename"
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
          aria-label={`Delete “${item.title}”`}
          title="Delete"
          onClick={() => {
            if (confirm(`Delete “${item.title}”? This cannot be undone.`)) onDelete();
          }}
        >
          <Icon name="trash" />
        </button>
      </div>
    </li>
  );
}

export function ConversationList({ conversations, onPicked }: Props) {
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const { search } = conversations;

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
    <nav className="sidebar" aria-label="Conversations">
      <button
        type="button"
        className="button primary new-chat"
        onClick={() => {
          conversations.startNew();
          onPicked();
        }}
        data-testid="new-chat"
      >
        New chat
      </button>
      <input
        type="search"
        className="conv-search"
        placeholder="Search conversations"
        aria-label="Search conversations"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="search"
      />
      {shownHits ? (
        <ul className="conv-list" aria-label="Search results">
          {shownHits.length === 0 && <li className="muted conv-empty">Nothing matches “{query}”.</li>}
          {shownHits.map((hit) => (
            <li key={hit.conversationId} className="conv-row" data-testid="search-hit">
              <button type="button" className="conv-open" onClick={() => open(hit.conversationId)}>
                <span className="conv-title">{hit.title}</span>
                {hit.matches[0]?.snippet && <span className="conv-snippet">{hit.matches[0].snippet}</span>}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="conv-list">
          {conversations.list.length === 0 && (
            <li className="muted conv-empty">Your conversations appear here.</li>
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
          Export JSON
        </button>
        <button
          type="button"
          className="button ghost small"
          onClick={() => void conversations.exportAll('markdown')}
        >
          Export Markdown
        </button>
        <button type="button" className="button ghost small" onClick={() => fileInput.current?.click()}>
          Import…
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
              (n) => setMessage(`Imported ${n} conversation${n === 1 ? '' : 's'}.`),
              (error: Error) => setMessage(error.message),
            );
          }}
        />
        {message && (
          <p className="muted small" role="status">
            {message}
          </p>
        )}
        <p className="muted small">Saved in this browser only.</p>
      </div>
    </nav>
  );
}
