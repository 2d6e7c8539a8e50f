import { useEffect, useRef, useState } from 'react';
import {
  RUNTIME_CHOICES,
  checkHubUrl,
  type AppSettings,
  type RuntimeChoice,
  type ThemeChoice,
} from '../settings.ts';

interface Props {
  open: boolean;
  settings: AppSettings;
  onSave: (settings: AppSettings) => void;
  onClose: () => void;
}

export function SettingsDialog({ open, settings, onSave, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [hubUrl, setHubUrl] = useState(settings.hubUrl);
  const [theme, setTheme] = useState<ThemeChoice>(settings.theme);
  const [temperature, setTemperature] = useState(settings.temperature);
  const [maxTokens, setMaxTokens] = useState(settings.maxTokens);
  const [runtime, setRuntime] = useState<RuntimeChoice>(settings.runtime);
  const problem = checkHubUrl(hubUrl);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setHubUrl(settings.hubUrl);
      setTheme(settings.theme);
      setTemperature(settings.temperature);
      setMaxTokens(settings.maxTokens);
      setRuntime(settings.runtime);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open, settings]);

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} aria-labelledby="settings-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (problem) return;
          onSave({ ...settings, hubUrl: hubUrl.replace(/\/+$/, ''), theme, temperature, maxTokens, runtime });
        }}
      >
        <h2 id="settings-title">Settings</h2>
        <label className="field">
          <span>Model hub</span>
          <input
            type="url"
            value={hubUrl}
            onChange={(e) => setHubUrl(e.target.value)}
            data-testid="hub-url"
            aria-invalid={problem ? true : undefined}
            aria-describedby="hub-help"
          />
          <small id="hub-help" className={problem ? 'error-text' : 'muted'}>
            {problem ?? 'Where models are downloaded from: Hugging Face or a mirror with the same addresses.'}
          </small>
        </label>
        <label className="field">
          <span>Runtime</span>
          <select
            value={runtime}
            onChange={(e) => setRuntime(e.target.value as RuntimeChoice)}
            data-testid="runtime-choice"
            aria-describedby="runtime-help"
          >
            {Object.entries(RUNTIME_CHOICES).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <small id="runtime-help" className="muted">
            Automatic uses web-llm for models with an MLC build on a capable GPU, else transformers.js on
            WebGPU, else WASM. Applies to the next Load.
          </small>
        </label>
        <label className="field">
          <span>
            Creativity (temperature): <strong>{temperature.toFixed(1)}</strong>
          </span>
          <input
            type="range"
            min={0}
            max={1.5}
            step={0.1}
            value={temperature}
            onChange={(e) => setTemperature(Number(e.target.value))}
            data-testid="temperature"
          />
          <small className="muted">0 gives the same answer every time; higher values vary more.</small>
        </label>
        <label className="field">
          <span>Longest answer (tokens)</span>
          <input
            type="number"
            min={16}
            max={8192}
            step={16}
            value={maxTokens}
            onChange={(e) =>
              setMaxTokens(Math.max(16, Math.min(8192, Math.round(Number(e.target.value) || 16))))
            }
            data-testid="max-tokens"
          />
        </label>
        <fieldset className="field">
          <legend>Theme</legend>
          <div className="segmented">
            {(['system', 'light', 'dark'] as const).map((t) => (
              <label key={t}>
                <input
                  type="radio"
                  name="theme"
                  value={t}
                  checked={theme === t}
                  onChange={() => setTheme(t)}
                />
                <span>{t[0].toUpperCase() + t.slice(1)}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="dialog-actions">
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={problem !== null}
            data-testid="save-settings"
          >
            Save
          </button>
        </div>
      </form>
    </dialog>
  );
}
