// The twin runtime's public API (docs/RUNTIME.md): export a twin for a Twinforge target as a
// folder, load it, run it.
//   const twin = await loadTwin(dir); const outputs = await twin.run(feeds); await twin.release();
export { loadTwin, Twin } from './twin';
export type { LoadTwinOptions } from './twin';
export { exportTwin } from './export';
export type { ExportTwinOptions, ExportTwinResult } from './export';
export { MANIFEST_FILE, MODEL_FILE, WEIGHTS_FILE, SPARSE_DOMAIN, SPARSE_OP, TWIN_FORMAT } from './format';
export type { TwinManifest, TwinLayerInfo } from './format';
export { isTwinFolder } from './detect';
