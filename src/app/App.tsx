import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PetitEngine } from 'petit';
import { appCatalog } from '../models/app-catalog.ts';
import { AnswerAnnouncer } from './components/AnswerAnnouncer.tsx';
import { ChatView } from './components/ChatView.tsx';
import { Composer } from './components/Composer.tsx';
import { ConversationList } from './components/ConversationList.tsx';
import { DownloadProgress } from './components/DownloadProgress.tsx';
import { ErrorBanner } from './components/ErrorBanner.tsx';
import { ModelPicker } from './components/ModelPicker.tsx';
import { detectLanguage as detectPromptLanguage } from '../escalation/router-language.ts';
import { ModelsScreen } from './models/ModelsScreen.tsx';
import { SettingsDialog } from './components/SettingsDialog.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { SecondCopyWarning } from './components/SecondCopyWarning.tsx';
import { useConversations } from './hooks/use-conversations.ts';
import { usePetit } from './hooks/use-petit.ts';
import { InstallButton } from './pwa/InstallButton.tsx';
import { OfflineNotice } from './pwa/OfflineNotice.tsx';
import { loadSettings, saveSettings, type AppSettings } from './settings.ts';
import { ConsentDialog } from './escalation/ConsentDialog.tsx';
import { EscalationNotice } from './escalation/EscalationNotice.tsx';
import { ModeSwitch } from './escalation/ModeSwitch.tsx';
import { ProviderPanel } from './escalation/ProviderPanel.tsx';
import { SavingsPanel } from './escalation/SavingsPanel.tsx';
import { useEscalation } from './escalation/use-escalation.ts';
import { useKeptModels } from './models/use-models.ts';
import { Icon } from './components/Icon.tsx';
import { resolveLanguage, setLanguage } from '../i18n/index.ts';
import { describeError } from '../i18n/errors.ts';
import './escalation/escalation.css';
import './header.css';

export function App({ engine }: { engine: PetitEngine }) {
  const { t, i18n } = useTranslation(['common', 'chat']);
  const [settings, setSettings] = useState<AppSettings>(loadSettings);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [modelsOpen, setModelsOpen] = useState(false);
  const catalog = appCatalog();
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const conversations = useConversations();
  // The router chooses among the downloaded catalog models (issue 14).
  const kept = useKeptModels();
  const routerModels = useMemo(
    () => ({ catalog, hubUrl: settings.hubUrl, kept }),
    [catalog, settings.hubUrl, kept],
  );
  // What the user writes in (not the interface's language): the picker prefers a model that handles it.
  const conversationLanguage = useMemo(() => {
    const said = conversations.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const language = said.trim() ? detectPromptLanguage(said) : null;
    return language === 'other' ? null : language;
  }, [conversations.messages]);
  const escalation = useEscalation(conversations, settings.maxTokens, routerModels);
  const [providerOpen, setProviderOpen] = useState(false);
  const [savingsOpen, setSavingsOpen] = useState(false);
  const petit = usePetit(engine, settings.hubUrl, settings, conversations, escalation);

  useEffect(() => {
    const root = document.documentElement;
    if (settings.theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = settings.theme;
  }, [settings.theme]);

  useEffect(() => {
    void setLanguage(resolveLanguage(settings.language));
  }, [settings.language]);

  // The tab's and the window's title, in the app's language (index.html's is English until the app starts).
  useEffect(() => {
    document.title = t('documentTitle');
  }, [t, i18n.language]);

  const updateSettings = (next: AppSettings) => {
    setSettings(next);
    saveSettings(next);
  };

  const ready = petit.phase === 'ready';
  const disabledReason =
    petit.phase === 'loading' ? t('chat:composer.loading') : t('chat:composer.loadFirst');
  const hubHost = (() => {
    try {
      return new URL(settings.hubUrl).host;
    } catch {
      return settings.hubUrl;
    }
  })();

  return (
    <div className={`shell ${sidebarOpen ? 'sidebar-open' : ''}`}>
      <ConversationList
        conversations={conversations}
        onPicked={() => setSidebarOpen(false)}
        drawerOpen={sidebarOpen}
        onCloseDrawer={() => {
          setSidebarOpen(false);
          menuButton.current?.focus();
        }}
      />
      <div className="sidebar-scrim" onClick={() => setSidebarOpen(false)} aria-hidden="true" />
      <div className="app">
        <header className="topbar">
          <button
            ref={menuButton}
            type="button"
            className="icon-button menu-button"
            aria-label={t('header.conversations')}
            aria-expanded={sidebarOpen}
            onClick={() => setSidebarOpen((v) => !v)}
          >
            <Icon name="menu" />
          </button>
          <div className="brand">
            <span className="logo" aria-hidden="true" />
            <div>
              <h1 translate="no">Petit</h1>
              <p className="tagline">{t('brand.tagline')}</p>
            </div>
          </div>
          <div className="topbar-actions">
            <ModeSwitch escalation={escalation} />
            <button
              type="button"
              className="button ghost"
              onClick={() => setProviderOpen(true)}
              data-testid="open-provider"
              aria-haspopup="dialog"
            >
              {t('header.remoteModel')}
            </button>
            <button
              type="button"
              className="button ghost"
              onClick={() => setSavingsOpen(true)}
              data-testid="open-savings"
              aria-haspopup="dialog"
            >
              {t('header.savings')}
            </button>
            <InstallButton />
            <button
              type="button"
              className="button ghost"
              onClick={() => setModelsOpen(true)}
              data-testid="open-models"
              aria-haspopup="dialog"
            >
              {t('header.models')}
            </button>
            <button
              type="button"
              className="button ghost"
              onClick={() => setSettingsOpen(true)}
              data-testid="open-settings"
              aria-haspopup="dialog"
            >
              {t('header.settings')}
            </button>
          </div>
        </header>

        <section className="model-bar" aria-label={t('modelBar')}>
          <ModelPicker
            catalog={catalog}
            selectedId={settings.modelId}
            busy={petit.phase === 'loading'}
            runtime={settings.runtime}
            hubUrl={settings.hubUrl}
            conversationLanguage={conversationLanguage}
            onLoad={(entry, dtype, device, backend) => {
              updateSettings({ ...settings, modelId: entry.id });
              void petit.loadModel(entry, dtype, device, backend);
            }}
          />
          <p className="muted hub-line">
            {t('hubLine.from', { host: hubHost })}{' '}
            {escalation.config.mode === 'local-only' ? t('hubLine.localOnly') : t('hubLine.modeAllows')}
          </p>
          <OfflineNotice />
          <SecondCopyWarning engine={engine} />
          {petit.error?.code === 'hub-unreachable' && (
            <p className="warn" data-testid="hub-unreachable">
              {t('hubLine.unreachable', { host: hubHost })}
            </p>
          )}
        </section>

        {petit.download && <DownloadProgress download={petit.download} onCancel={petit.cancelLoad} />}
        {petit.error && <ErrorBanner error={petit.error} onDismiss={petit.dismissError} />}
        {conversations.storageError && (
          <div className="error-banner" role="alert">
            <p>
              {conversations.storageError === 'stale'
                ? t('notices.storageStale')
                : describeError(conversations.storageError)}
            </p>
          </div>
        )}
        <EscalationNotice escalation={escalation} />
        {petit.notice && (
          <div className="notice" role="status" data-testid="context-notice">
            <p>{petit.notice.text()}</p>
            <button
              type="button"
              className="button ghost"
              onClick={petit.dismissNotice}
              aria-label={t('dismiss')}
            >
              <Icon name="cross" />
            </button>
          </div>
        )}

        <main className="chat-area">
          <ChatView
            messages={conversations.messages}
            onAskRemote={
              escalation.config.mode === 'local-only' || petit.remoteBusy || petit.generating
                ? undefined
                : (id) => void petit.askLargeModel(id)
            }
            askRemoteOffReason={escalation.offlineReason}
            onAnswerFine={petit.generating ? undefined : escalation.answerWasFine}
            emptyHint={
              !ready
                ? t('chat:empty.pick')
                : petit.runtime?.model
                  ? t('chat:empty.ready', { model: petit.runtime.model })
                  : t('chat:empty.readyUnnamed')
            }
          />
        </main>
        <AnswerAnnouncer messages={conversations.messages} />

        <section className="composer-wrap" aria-label={t('chat:composer.region')}>
          <Composer
            disabled={!ready}
            disabledReason={disabledReason}
            generating={petit.generating || petit.remoteBusy}
            onSend={(text) => void petit.send(text)}
            onStop={petit.stop}
          />
          <StatusBar runtime={petit.runtime} usage={petit.lastUsage} />
        </section>

        <ConsentDialog escalation={escalation} />
        <ProviderPanel open={providerOpen} onClose={() => setProviderOpen(false)} escalation={escalation} />
        <SavingsPanel open={savingsOpen} onClose={() => setSavingsOpen(false)} escalation={escalation} />
        <ModelsScreen open={modelsOpen} onClose={() => setModelsOpen(false)} catalog={catalog} />
        <SettingsDialog
          open={settingsOpen}
          settings={settings}
          onClose={() => setSettingsOpen(false)}
          onSave={(next) => {
            updateSettings(next);
            setSettingsOpen(false);
          }}
        />
      </div>
    </div>
  );
}
