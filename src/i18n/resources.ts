/**
 * The catalogs, one JSON file per namespace and language. A namespace belongs to one part of the app, so that the
 * people (and helpers) translating different parts never edit the same file. Keys are typed from the English files.
 */
import enChat from './locales/en/chat.json';
import enCommon from './locales/en/common.json';
import enEmbed from './locales/en/embed.json';
import enErrors from './locales/en/errors.json';
import enEscalation from './locales/en/escalation.json';
import enModels from './locales/en/models.json';
import enSettings from './locales/en/settings.json';
import frChat from './locales/fr/chat.json';
import frCommon from './locales/fr/common.json';
import frEmbed from './locales/fr/embed.json';
import frErrors from './locales/fr/errors.json';
import frEscalation from './locales/fr/escalation.json';
import frModels from './locales/fr/models.json';
import frSettings from './locales/fr/settings.json';

export const en = {
  common: enCommon,
  chat: enChat,
  models: enModels,
  escalation: enEscalation,
  embed: enEmbed,
  errors: enErrors,
  settings: enSettings,
};

export const fr: Record<keyof typeof en, Record<string, unknown>> = {
  common: frCommon,
  chat: frChat,
  models: frModels,
  escalation: frEscalation,
  embed: frEmbed,
  errors: frErrors,
  settings: frSettings,
};

export type Namespace = keyof typeof en;
export const NAMESPACES = Object.keys(en) as Namespace[];
