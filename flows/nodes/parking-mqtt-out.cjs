/* global module */
// The node file of parking-mqtt-out (publishes through whichever of two brokers is connected). Node-RED require()s node files;
// the node itself is TypeScript (mqtt-out.ts), imported through load.mjs. Node-RED awaits the
// promise returned here before it starts the flows.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerMqttOut(RED);
};
