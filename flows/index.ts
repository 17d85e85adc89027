// Node-RED embedded: the charging flows, our nodes, the reports API on one HTTP server.
export { startFlows, SHIPPED_FLOWS, NODES_DIR, DEFAULT_DATA_DIR, EDITOR_PATH, REPORTS_PATH, DASHBOARD_PATH, type FlowsOptions, type RunningFlows } from './server.ts';
export { flowsEnv, applyEnv, defaultClientId, FLOWS_ENV_NAMES, type FlowsEnv, type FlowsEnvOptions } from './env.ts';
export { resolveAdminLogin, describeAdminLogin, AdminLoginError, ADMIN_LOGIN_FILE, DEFAULT_ADMIN_USER, type AdminLogin } from './admin-login.ts';
export { redSettings, type RedSettingsOptions } from './settings.ts';
export { redLogging, redLogHandler, redLevel } from './logging.ts';
export { reportsRouter, basicAuth, type AdminCredentials, type ReportsApiOptions } from './reports-api.ts';
export type { App, Request, Response, Handler } from './deps.ts';
