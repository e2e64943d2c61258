// The zoo: SQLite registry of models and twins, the content-addressed store, analytics and
// archives. Other parts of the engine import from here.
export { openZoo, closeZoo, ZooDb, DB_FILE } from './db';
export { ModelStore, hashFile } from './store';
export * from './types';
export { createZoo, findZoo, requireZoo, listZoos, zooSummary, addMember, memberIds } from './repo/zoos';
export { getModel, resolveModel, modelsOfZoo, layerStatsOf, putLayerStats } from './repo/models';
export { registerTwin, getTwin, twinsOf, twinsOfZoo, twinsWithMask, sharedMasks, existingGridKeys, lineage, type NewTwin } from './repo/twins';
export { putEvaluation, evaluationsOf } from './repo/evaluations';
export { addBenchmark, benchmarksOf } from './repo/benchmarks';
export { saveHardwareProfile, getHardwareProfile, listHardwareProfiles, deleteHardwareProfile, type StoredHardwareProfile } from './repo/hardware';
export { putJob, setJobState, setJobProgress, appendJobLog, getJob, listJobs, type PersistedJob } from './repo/jobs';
export { importModels, type ImportedModel } from './importer';
export { removeZoo, collectGarbage } from './maintenance';
export { analyzeZoo, analyzeSnapshot, loadZooSnapshot, type ZooAnalysis } from './analytics';
