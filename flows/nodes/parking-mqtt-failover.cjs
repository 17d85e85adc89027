/* global module */
// The node file of parking-mqtt-failover (moves the MQTT connection to the standby broker). Node-RED require()s node files;
// the node itself is TypeScript (failover.ts), imported through load.mjs. Node-RED awaits the
// promise returned here before it starts the flows.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerMqttFailover(RED);
};
