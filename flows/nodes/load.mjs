// Loads the TypeScript side of the parking nodes once, for all of their node files.
//
// Inside `parking` (and the tests) tsx's loader is registered, so a plain import() of a .ts
// file works. In a Node-RED started on its own there is no such loader; then tsx compiles
// the files on the fly (tsImport), still with no build step.
let loading;

async function importRuntime() {
  const entry = new URL('./index.ts', import.meta.url).href;
  try {
    return await import(entry);
  } catch (err) {
    if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(entry, import.meta.url);
  }
}

export function loadParkingNodes() {
  loading ??= importRuntime();
  return loading;
}
