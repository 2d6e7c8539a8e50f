import { useState, type KeyboardEvent } from 'react';
import './chat.css';

interface Props {
  disabled: boolean;
  disabledReason: string;
  generating: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
}

export function Composer({ disabled, disabledReason, generating, onSend, onStop }: Props) {
  const [text, setText] = useState('');
  const submit = () => {
    if (disabled || generating || !text.trim()) return;
    onSend(text);
    setText('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="prompt" className="visually-hidden">
        Message
      </label>
      <textarea
        id="prompt"
        data-testid="prompt"
        rows={1}
        value={text}
        placeholder={
          disabled ? disabledReason : 'Message the model — Enter to send, Shift+Enter for a new line'
        }
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        disabled={disabled}
      />
      {generating ? (
        <button type="button" className="button stop" onClick={onStop} data-testid="stop">
          Stop
        </button>
      ) : (
        <button
          type="submit"
          className="button primary"
          disabled={disabled || !text.trim()}
          data-testid="send"
        >
          Send
        </button>
      )}
    </form>
  );
}
