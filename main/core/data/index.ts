// Calibration and evaluation data: .npy/.npz readers, datasets over files or synthetic inputs.
export { parseNpy, writeNpy, toFloat32, toInt64, halfToFloat, type NpyArray, type NpyDtype } from './npy';
export { listZip, readZipEntry, crc32, type ZipEntry } from './zip';
export { loadDataset, syntheticDataset, batchRanges, tensorType, SYNTHETIC_WARNING, type Dataset, type Batch, type InputSpec, type TensorData, type TensorType, type LoadOptions } from './dataset';
export { Rng } from './rng';
