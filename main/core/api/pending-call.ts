// Contract calls whose engine part has not landed yet: they answer NOT_IMPLEMENTED (which the UI
// shows as "not available yet") instead of being missing, so the wiring is real from the start.
import { TwinforgeError } from '../errors';

/** Throws the NOT_IMPLEMENTED error for a feature that is wired but not built yet. */
export function pending(feature: string, issue: string): never {
  throw new TwinforgeError('NOT_IMPLEMENTED', `${feature} is not available in this build yet.`, `It arrives with ${issue}; the rest of Twinforge works without it.`);
}
