/* global module */
// The node file of parking-charging (gate events in, gate displays out, sessions in MongoDB). Node-RED require()s node files;
// the node itself is TypeScript (charging.ts), imported through load.mjs. Node-RED awaits the
// promise returned here before it starts the flows.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerCharging(RED);
};
