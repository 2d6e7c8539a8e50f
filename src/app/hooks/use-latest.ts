import { useEffect, useState } from 'react';
import { Latest } from '../../chat/session.ts';

/** `value` as of the last render, for a chat session or escalator that lives longer than one render. */
export function useLatest<T>(value: T): Latest<T> {
  const [live] = useState(() => new Latest(value));
  useEffect(() => live.set(value));
  return live;
}
