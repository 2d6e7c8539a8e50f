/** The escalation core the UI calls: modes, router, providers, redaction, consent, pricing and savings. */
export {
  DEFAULT_ESCALATION_MODE,
  ESCALATION_MODES,
  ESCALATION_MODE_IDS,
  decideDispatch,
  isEscalationMode,
  type DispatchAction,
  type DispatchDecision,
  type DispatchInput,
  type DispatchReason,
  type EscalationMode,
} from './modes.ts';
export {
  ESCALATION_THRESHOLD,
  GOOD_FOR_TAGS,
  ROUTER_RULES,
  TRAINED_BIAS,
  TRAINED_WEIGHTS,
  chooseLocalModel,
  confidenceFromLogprobs,
  explainDecision,
  route,
  uncertainty,
  type GoodForTag,
  type LocalConfidence,
  type LocalModelInfo,
  type RouteDecision,
  type RouteInput,
  type RouterReason,
  type RouterRuleId,
  type UserRouterWeights,
} from './router.ts';
export {
  FEATURES,
  FEATURE_IDS,
  detectLanguage,
  type FeatureId,
  type FeatureVector,
} from './router-features.ts';
export {
  PROVIDER_IDS,
  PROVIDER_PRESETS,
  isProviderId,
  type ProviderId,
  type ProviderPreset,
} from './providers/presets.ts';
export {
  RemoteClient,
  createRemoteClient,
  type PrepareOptions,
  type PreparedRequest,
  type SendOptions,
} from './providers/remote-client.ts';
export { resolveEndpoint, type ProviderSettings, type ResolvedEndpoint } from './providers/transport.ts';
export { REDACTION_KINDS, Redactor, type RedactionEntry, type RedactionKind } from './redaction.ts';
export {
  ConsentLedger,
  buildConsentPreview,
  sendRemote,
  streamRemote,
  type BuildPreviewInput,
  type ConsentPreview,
  type ConsentScope,
  type ConsentSnapshot,
  type CostEstimate,
  type SendRemoteInput,
} from './consent.ts';
export {
  DEFAULT_PRICE_TABLE,
  PRICE_TABLE_DATE,
  costUsd,
  estimateMessagesTokens,
  estimateTokens,
  findPrice,
  mergePriceTable,
  type ModelPrice,
} from './pricing.ts';
export {
  ENERGY_SOURCES,
  bucketByDay,
  entryFromCompletion,
  localEnergyWh,
  remoteEnergyWh,
  summarise,
  type DayBucket,
  type LedgerEntry,
  type Range,
  type SavingsSummary,
} from './savings.ts';
