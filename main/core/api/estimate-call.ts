// hw.estimate as the contract calls it: the engine function is hardware/stage-estimate.ts.
export { estimateStages } from '../hardware/stage-estimate';
