// Alarms: raised and cleared by the platform, retained on
// `<root>/<lot>/alarm/<alarm>` (CONTRACT.md), listed and acknowledged over
// HTTP, forwarded to a webhook. See docs/alarms.md.
export { startAlarms, type AlarmService, type AlarmServiceOptions } from './service.ts';
export { AlarmBook, decodeAlarm, type ActiveAlarm, type AlarmChange, type AlarmPayload } from './book.ts';
export { ALARM_KINDS, DEFAULT_DELAYS, lotAlarms, platformFacts, type AlarmDelays, type AlarmKind, type AlarmSpec, type LotFacts, type PlatformFacts, type Severity, type StaleSlots } from './rules.ts';
export { webhook, type Webhook, type WebhookOptions } from './webhook.ts';
export { alarmsRouter, ALARMS_PATH } from './http.ts';
