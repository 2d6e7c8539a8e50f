import { useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import './chat.css';

interface Props {
  disabled: boolean;
  disabledReason: string;
  generating: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
}

export function Composer({ disabled, disabledReason, generating, onSend, onStop }: Props) {
  const { t } = useTranslation('chat');
  const [text, setText] = useState('');
  const empty = !text.trim();
  const submit = () => {
    if (disabled || generating || empty) return;
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
        {t('composer.label')}
      </label>
      <textarea
        id="prompt"
        data-testid="prompt"
        rows={1}
        value={text}
        placeholder={disabled ? disabledReason : t('composer.placeholder')}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        disabled={disabled}
      />
      {/*
        One button that is Stop while an answer streams and Send otherwise: the same element, so a keyboard user
        who pressed Stop (or waited on it) keeps the focus when the answer ends. An empty Send is aria-disabled,
        not disabled, for the same reason (a disabled button drops the focus).
      */}
      <button
        type={generating ? 'button' : 'submit'}
        className={generating ? 'button stop' : 'button primary'}
        onClick={
          generating
            ? onStop
            : (e) => {
                if (empty) e.preventDefault();
              }
        }
        disabled={disabled && !generating}
        aria-disabled={!generating && !disabled && empty ? true : undefined}
        data-testid={generating ? 'stop' : 'send'}
      >
        {generating ? t('composer.stop') : t('composer.send')}
      </button>
    </form>
  );
}
