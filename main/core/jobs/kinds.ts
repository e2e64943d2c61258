// Job kinds by name -> the module (relative to this folder) whose `run` export does the work.
// The worker process imports only modules listed here (or registered by the host at start-up).
export const jobKinds: Record<string, string> = {
  'selftest': './selftest',
  'compress': '../batch/compress-job',
  'hw.detect': '../hardware/detect-job',
  'sensitivity': '../planning/sensitivity-job',
  'llm.compress': '../llm/compress-job',
};
