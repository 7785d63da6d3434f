// quick_check on its own read-only connection, for the readiness probe (integrity-probe.ts): a check
// reads every page, which must not happen on the thread that answers HTTP. Plain JavaScript on purpose:
// a worker does not inherit a loader registered at run time.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

let result;
try {
  const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma(`quick_check(${workerData.maxProblems})`);
    const problems = rows.map((r) => Object.values(r)[0]).filter((m) => m !== 'ok');
    result = { ok: problems.length === 0, problems };
  } finally {
    db.close();
  }
} catch (err) {
  result = { ok: false, problems: [err instanceof Error ? err.message : String(err)] };
}
parentPort.postMessage(result);
