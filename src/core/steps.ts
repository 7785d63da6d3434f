/**
 * Long synchronous passes (exports, reports) written as generators that yield every few hundred
 * rows: a CLI runs them straight through, a server lets its event loop run between steps so other
 * requests are answered meanwhile. Both give the same result.
 */
export type Steps<T> = Generator<void, T, void>;

/** Rows between two steps: a few milliseconds of work, so other requests wait at most that long. */
export const STEP_ROWS = 512;

export function runSteps<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

export async function runStepsYielding<T>(steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) {
    await new Promise((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  return step.value;
}
