/** The JSON of GET /v1/datasets/:id/report, also inlined into `distillery report --out report.html`. */
import type { Histogram } from './histogram.ts';

export interface LabelCount {
  label: string;
  /** originals whose gold label is this one */
  gold: number;
  /** originals the teacher puts here (argmax at T = 1) */
  teacherOriginals: number;
  /** all examples, augmentations included */
  teacherAll: number;
}

export interface OpReport {
  /** op names joined by '+', as recorded in Origin.ops */
  op: string;
  count: number;
  /** outputs of this op dropped as duplicates while augmenting; null when the job did not record it */
  duplicateShare: number | null;
  /** augmentations whose teacher argmax differs from their parent's */
  flippedShare: number;
  /** mean KL(parent || augmentation) of the T = 1 soft labels, in nats */
  meanKl: number;
  /** augmentations whose parent had a teacher output (the denominator of the two above) */
  compared: number;
}

export interface ReportToken {
  /** whitespace before the token */
  pre: string;
  text: string;
}

export interface ExampleRow {
  id: string;
  text: string;
  textPair?: string;
  label: string | number | null;
  ops: string[];
  /** tokens as the augmentation engine counts them, so `changed` positions index this list */
  tokens: ReportToken[];
  changed: number[];
  /** T = 1 soft label; undefined when not labelled */
  probs?: number[];
  predicted?: string;
  hasAttentions: boolean;
}

export interface ExampleGroup {
  original: ExampleRow;
  augmentations: ExampleRow[];
}

export interface DatasetReport {
  dataset: { id: string; name: string; created: string };
  teacher: { name: string; fingerprint: string; labels: string[]; device: string; dtype: string } | null;
  /** every teacher that labelled the dataset (ensembles); the report is about `teacher` */
  teachers: { name: string; fingerprint: string }[];
  totals: { examples: number; originals: number; augmentations: number; labelled: number };
  labels: LabelCount[];
  /** max probability at T = 1 */
  confidence: Histogram;
  /** soft-label entropy (nats) at T = 1..5, on [0, ln(labels)] */
  entropy: { temperature: number; histogram: Histogram }[];
  ops: OpReport[];
  examples: ExampleGroup[];
  /**
   * Logits of labelled examples in dataset order (rounded to 1e-4), so a page can recompute the
   * entropy histogram at any temperature; capped at `logitsCap` rows, `logitsSampled` tells.
   */
  logits: number[][];
  logitsSampled: boolean;
  /** attention layers stored for this dataset's teacher ([] when none) */
  attentionLayers: number[];
}
