import type { ShownError } from '../hooks/use-petit.ts';

export function ErrorBanner({ error, onDismiss }: { error: ShownError; onDismiss: () => void }) {
  return (
    <div className="error-banner" role="alert" data-testid="error" data-code={error.code}>
      <p>{error.message}</p>
      <button type="button" className="button ghost" onClick={onDismiss} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}
