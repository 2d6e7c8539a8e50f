import { useEffect, type RefObject } from 'react';

/**
 * Opens and closes a native modal dialog with `open`, focuses `initial` inside it (or the browser's first
 * focusable element), and gives focus back to the element that had it before, when that element is still there:
 * a keyboard user continues where they were.
 */
export function useDialogFocus(dialog: RefObject<HTMLDialogElement | null>, open: boolean, initial?: string) {
  useEffect(() => {
    const d = dialog.current;
    if (!d || !open || d.open) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    d.showModal();
    if (initial) d.querySelector<HTMLElement>(initial)?.focus();
    return () => {
      if (d.open) d.close();
      if (opener?.isConnected && !d.contains(opener)) opener.focus();
    };
  }, [dialog, open, initial]);
}
