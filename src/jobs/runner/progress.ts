/**
 * Progress of a job as events (the HTTP service streams them) and a renderer for the terminal:
 * a bar with rate and ETA on a TTY, one JSON object per line otherwise (logs, CI, pipes).
 */
export interface ProgressEvent {
  type: 'start' | 'chunk' | 'done' | 'up-to-date' | 'cancelled';
  dataset: string;
  /** corpus records (in this shard) processed so far, resumed ones included */
  records: number;
  /** records in this shard, when known from the pre-scan */
  totalRecords: number | undefined;
  chunks: number;
  examples: number;
  /** inputs the teachers computed in this run, and those served from the cache */
  computed: number;
  cached: number;
  /** records skipped as malformed (--skip-invalid) */
  invalid: number;
  /** records resumed from an earlier run's checkpoint */
  resumed: number;
  elapsedSeconds: number;
  /** records per second in this run */
  rate: number;
  etaSeconds: number | undefined;
}

export type ProgressListener = (event: ProgressEvent) => void;

function clock(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function renderBar(e: ProgressEvent, width = 28): string {
  const total = e.totalRecords ?? 0;
  const frac = total > 0 ? Math.min(1, e.records / total) : 0;
  const filled = Math.round(frac * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const pct = total > 0 ? `${(frac * 100).toFixed(1).padStart(5)}%` : '';
  return `${e.dataset} [${bar}] ${pct} ${e.records}/${total || '?'} records, ${e.examples} examples, ${e.rate.toFixed(1)} rec/s, ETA ${clock(e.etaSeconds)}`;
}

/** A listener that writes to a stream: redraws one line on a TTY, JSON lines elsewhere. */
export function progressPrinter(out: NodeJS.WritableStream & { isTTY?: boolean }): ProgressListener {
  if (out.isTTY) {
    return (e) => {
      const end = e.type === 'chunk' || e.type === 'start' ? '' : '\n';
      out.write(`\r\x1b[2K${renderBar(e)}${end}`);
    };
  }
  return (e) => out.write(`${JSON.stringify(e)}\n`);
}

/** Rate and ETA from the records done in this run (resumed records excluded: they took no time). */
export class ProgressMeter {
  readonly #started = performance.now();
  readonly #resumedRecords: number;

  constructor(resumedRecords: number) {
    this.#resumedRecords = resumedRecords;
  }

  measure(
    records: number,
    totalRecords: number | undefined,
  ): { elapsedSeconds: number; rate: number; etaSeconds: number | undefined } {
    const elapsedSeconds = (performance.now() - this.#started) / 1000;
    const doneHere = records - this.#resumedRecords;
    const rate = elapsedSeconds > 0 ? doneHere / elapsedSeconds : 0;
    const etaSeconds = totalRecords === undefined || rate <= 0 ? undefined : Math.max(0, totalRecords - records) / rate;
    return { elapsedSeconds, rate, etaSeconds };
  }
}
