// Worker process for model reads that a host must survive: it answers one request (a contract
// call such as model.inspect) and exits. A hostile or huge model may use up this process's memory
// or time; the host that forked it (main/web/isolated.ts) kills it and answers with a clear error,
// and keeps serving everyone else meanwhile.
import { invoke, type ApiServices } from './index';
import { toEnvelope, TwinforgeError } from '../errors';
import { closeChannel, exitWhenOrphaned, onParentMessage, requireParent, send } from '../jobs/worker-channel';

interface Request {
  name: string;
  args: unknown;
  dataDir: string;
}

requireParent('The model-read worker');
exitWhenOrphaned();
let started = false;
onParentMessage<Request>((msg) => {
  if (started) return; // one request per process
  started = true;
  // Model-reading calls never touch jobs: a call that did would get this clear error.
  const services: ApiServices = {
    dataDir: msg.dataDir,
    host: 'web',
    get jobs(): never {
      throw new TwinforgeError('INTERNAL', `${msg.name} is not a model-reading call: the model-read worker has no job runner.`);
    },
  };
  void invoke(services, msg.name, msg.args)
    .then((value) => ({ ok: true, value: value ?? null }), (err: unknown) => ({ ok: false, error: toEnvelope(err) }))
    .then(async (reply) => {
      await send(reply);
      closeChannel();
      process.exit(0);
    });
});
