// The MQTT auth file's accounts as an operator manages them (`parking
// accounts add|list|remove|rotate`), and the live set a broker reads again on
// SIGHUP. The file's format and the checks at CONNECT are the broker's
// (broker/auth/accounts.ts); docs/broker.md describes both.
export { ACCOUNT_ROLES, AccountError, accountFields, checkDoc, describe, newSecret, secretHash, secretKind, type AccountFields, type AccountSpec, type AuthDoc, type RawAccount } from './edit.ts';
export { changeAuthFile, readAuthDoc } from './file.ts';
export { liveAccounts, type LiveAccounts, type ReloadResult } from './live.ts';
