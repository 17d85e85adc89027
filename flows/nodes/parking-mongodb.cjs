/* global module */
// The node file of parking-mongodb (the MongoDB connection shared by the charging and report nodes). Node-RED require()s node files;
// the node itself is TypeScript (mongodb.ts), imported through load.mjs. Node-RED awaits the
// promise returned here before it starts the flows.
'use strict';

module.exports = async function (RED) {
  const { loadParkingNodes } = await import('./load.mjs');
  const nodes = await loadParkingNodes();
  nodes.registerMongodb(RED);
};
