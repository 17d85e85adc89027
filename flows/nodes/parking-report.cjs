/* global module */
// The node file of parking-report (revenue, occupancy, open sessions and sessions as rows or CSV). Node-RED require()s node files;
// the node itself is TypeScript (report.ts), imported through load.mjs. Node-RED awaits the
// promise returned here before it starts the flows.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerReport(RED);
};
