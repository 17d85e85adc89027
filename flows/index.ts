// Node-RED embedded: the charging flows, our nodes, the reports API on one HTTP server.
export { startFlows, SHIPPED_FLOWS, NODES_DIR, DEFAULT_DATA_DIR, EDITOR_PATH, REPORTS_PATH, DASHBOARD_PATH, type FlowsOptions, type RunningFlows } from './server.ts';
export { flowsEnv, applyEnv, defaultClientId, FLOWS_ENV_NAMES, type FlowsEnv, type FlowsEnvOptions } from './env.ts';
export { resolveAdminLogin, describeAdminLogin, readOperators, AdminLoginError, ADMIN_LOGIN_FILE, OPERATORS_FILE, DEFAULT_ADMIN_USER, type AdminLogin, type AdminCredentials } from './admin-login.ts';
export { Access, LoginSessions, LOGIN_PATH, SESSION_COOKIE, safeNext, cookieValue, type Login, type Role, type HttpUser } from './access.ts';
export { redSettings, type RedSettingsOptions } from './settings.ts';
export { redLogging, redLogHandler, redLevel } from './logging.ts';
export { reportsRouter, type ReportsApiOptions } from './reports-api.ts';
export type { App, Request, Response, Handler } from './deps.ts';
