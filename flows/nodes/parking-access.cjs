/* global module */
// The plugin file of parking-access (the operator pages' data only to operators' dashboards).
// Node-RED require()s plugin files; the plugin itself is TypeScript (access.ts), imported
// through load.mjs.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerAccess(RED);
};
