// Node-RED's settings for the embedded runtime. Pure.
import type { AdminCredentials } from './admin-login.ts';
import type { AccessPolicy } from './nodes/access.ts';

export interface RedSettingsOptions {
  userDir: string;
  flowFile: string;
  /** Where our nodes are (a Node-RED module directory). */
  nodesDir: string;
  credentialSecret?: string;
  adminAuth?: AdminCredentials;
  /** Node-RED's `logging` setting. */
  logging: Record<string, unknown>;
  /** Milliseconds between MQTT reconnection attempts of the mqtt nodes. */
  mqttReconnectMs: number;
  /** Dashboard 2.0's `dashboard` setting: `middleware` on its pages, `ioMiddleware` on its socket. */
  dashboard?: Record<string, unknown>;
  /** The operator pages, for the parking-access plugin. */
  parkingAccess?: AccessPolicy;
}

export function redSettings(o: RedSettingsOptions): Record<string, unknown> {
  return {
    userDir: o.userDir,
    flowFile: o.flowFile,
    flowFilePretty: true,
    nodesDir: [o.nodesDir],
    httpAdminRoot: '/red',
    httpNodeRoot: '/',
    ...(o.credentialSecret ? { credentialSecret: o.credentialSecret } : {}),
    ...(o.adminAuth ? { adminAuth: { type: 'credentials', users: [{ username: o.adminAuth.user, password: o.adminAuth.passwordHash, permissions: '*' }] } } : {}),
    logging: o.logging,
    ...(o.dashboard ? { dashboard: o.dashboard } : {}),
    ...(o.parkingAccess ? { parkingAccess: o.parkingAccess } : {}),
    mqttReconnectTime: o.mqttReconnectMs,
    editorTheme: {
      page: { title: 'Smart parking · Node-RED' },
      header: { title: 'Smart parking' },
      projects: { enabled: false },
      tours: false,
    },
    // No calls home: no telemetry and no update checks from an embedded runtime.
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false },
    exportGlobalContextKeys: false,
  };
}
