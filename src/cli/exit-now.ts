/**
 * Ends the process at once, the way the signal's default action does (exit status 128 + signal).
 * Not process.exit(): that stops worker threads one by one, and onnxruntime-node aborts the whole
 * process ("terminate called after throwing an instance of 'Napi::Error'") when a model run returns
 * into a stopped thread. A signal ends every thread together.
 */
import os from 'node:os';

export function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Only reached if the signal could not end the process.
  process.exit(128 + (os.constants.signals[signal] ?? 0));
}
