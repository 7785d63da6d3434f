/**
 * The models a recipe's ops call besides the teacher: a masked LM (fill-mask), translation models and
 * a causal LM that writes (generate / paraphrase), named by folder relative to the models dir. Loaded on first need, then reused by every recipe that
 * asks (the HTTP service keeps one set for its lifetime; a job has its own). Calls to one model run one
 * at a time, so concurrent requests never share a session mid-run.
 *
 * A recipe that needs a model that is not named, or a translation direction without a model, is refused
 * before anything runs, with the key to set: `missing` words it for the front door (job file, server
 * config, CLI flag).
 */
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import {
  translationDirections,
  type FillMasker,
  type OpContext,
  type Recipe,
  type Translator,
} from '../augment/index.ts';
// Types only: the model classes load with the first recipe that needs one, so that `distillery augment
// --recipe eda` does not parse the inference stack at start-up.
import type { TransformersFillMasker } from '../teacher/fill-masker.ts';
import type { TransformersTranslator } from '../teacher/translator.ts';
import type { CausalGenerator } from '../teacher/causal/causal-generator.ts';

export interface AugmentModelNames {
  /** masked-LM folder for masked-lm / tinybert */
  fillMask?: string | undefined;
  /** translation model folder per direction (e.g. en-de) for back-translate */
  translation?: Readonly<Record<string, string>> | undefined;
  /** causal-LM folder (a with-past ONNX export) for generate / paraphrase */
  generator?: string | undefined;
}

/** Where a missing model is named: `key` is 'fillMask' or 'translation.<dir>'; `example` a value to put there. */
export type MissingModelHint = (recipe: string, what: string, key: string, example: string) => DistilleryError;

/** `augmentModels: { fillMask: X }` or `augmentModels: { translation: { en-de: X } }` for a key. */
export function augmentModelsExample(key: string, example: string): string {
  const [head, dir] = key.split('.');
  return dir ? `augmentModels: { ${head}: { ${dir}: ${example} } }` : `augmentModels: { ${head}: ${example} }`;
}

export const jobFileHint: MissingModelHint = (recipe, what, key, example) =>
  new DistilleryError('INVALID_INPUT', `recipe ${recipe} needs ${what}`, {
    hint: `name it in the job file, e.g. ${augmentModelsExample(key, example)}`,
    details: { key },
  });

/** For the HTTP service: the server config names the models. */
export const serverConfigHint: MissingModelHint = (recipe, what, key, example) =>
  new DistilleryError(
    'INVALID_INPUT',
    `recipe ${recipe} needs ${what}, and the server config sets no augmentModels.${key}`,
    {
      hint: `set it in the server config, e.g. ${augmentModelsExample(key, example)} (a model folder in modelsDir)`,
      details: { key: `augmentModels.${key}` },
    },
  );

export class AugmentModels {
  readonly #names: AugmentModelNames;
  readonly #modelsDir: string;
  readonly #missing: MissingModelHint;
  #fillMasker: Promise<TransformersFillMasker> | undefined;
  #translator: TransformersTranslator | undefined;
  #generator: Promise<CausalGenerator> | undefined;

  constructor(names: AugmentModelNames | undefined, opts: { modelsDir: string; missing?: MissingModelHint }) {
    this.#names = names ?? {};
    this.#modelsDir = opts.modelsDir;
    this.#missing = opts.missing ?? jobFileHint;
  }

  /** Throws the missing-model error when the recipe needs a model that is not named. Loads nothing. */
  check(recipe: Recipe): void {
    const needs = recipe.op.needs;
    if (needs.includes('fillMasker') && !this.#names.fillMask)
      throw this.#missing(recipe.name, 'a masked-LM model', 'fillMask', 'demo-mlm');
    if (needs.includes('generator') && !this.#names.generator)
      throw this.#missing(recipe.name, 'a causal LM to write with', 'generator', 'demo-lm');
    if (needs.includes('translator')) {
      const have = this.#names.translation ?? {};
      const missing = translationDirections(recipe.op).filter((dir) => !have[dir]);
      if (missing.length > 0) {
        const what =
          missing.length === 1
            ? `a translation model for ${missing[0]}`
            : `translation models for ${missing.join(', ')}`;
        throw this.#missing(recipe.name, what, `translation.${missing[0]}`, `opus-mt-${missing[0]}`);
      }
    }
  }

  /** The fill-masker and translator the recipe needs (the scorer is the caller's: it owns the teachers). */
  async context(recipe: Recipe): Promise<OpContext> {
    this.check(recipe);
    const context: OpContext = {};
    const needs = recipe.op.needs;
    if (needs.includes('fillMasker')) context.fillMasker = oneAtATimeMasker(await this.#loadFillMasker());
    if (needs.includes('translator')) {
      const { TransformersTranslator } = await import('../teacher/translator.ts');
      this.#translator ??= new TransformersTranslator({
        models: { ...this.#names.translation },
        modelsDir: this.#modelsDir,
      });
      context.translator = oneAtATimeTranslator(this.#translator);
    }
    // the generator queues its own batches, and a response never depends on what it runs beside
    if (needs.includes('generator')) {
      const { textGenerator } = await import('../teacher/causal/text-generator.ts');
      context.generator = textGenerator(await this.#loadGenerator());
    }
    return context;
  }

  async dispose(): Promise<void> {
    const masker = this.#fillMasker;
    this.#fillMasker = undefined;
    if (masker)
      await masker.then(
        (m) => m.dispose(),
        () => undefined,
      );
    await this.#translator?.dispose();
    const generator = this.#generator;
    this.#generator = undefined;
    if (generator)
      await generator.then(
        (g) => g.dispose(),
        () => undefined,
      );
  }

  #loadGenerator(): Promise<CausalGenerator> {
    if (!this.#generator) {
      const folder = this.#names.generator!;
      const dir = path.resolve(this.#modelsDir, folder);
      const p = import('../teacher/causal/causal-generator.ts').then(({ CausalGenerator }) =>
        CausalGenerator.load({ name: folder, dir }),
      );
      // a failed load is retried by the next recipe that needs it
      p.catch(() => {
        if (this.#generator === p) this.#generator = undefined;
      });
      this.#generator = p;
    }
    return this.#generator;
  }

  #loadFillMasker(): Promise<TransformersFillMasker> {
    if (!this.#fillMasker) {
      const dir = path.resolve(this.#modelsDir, this.#names.fillMask!);
      const p = import('../teacher/fill-masker.ts').then(({ TransformersFillMasker }) =>
        TransformersFillMasker.load(dir),
      );
      // a failed load is retried by the next recipe that needs it
      p.catch(() => {
        if (this.#fillMasker === p) this.#fillMasker = undefined;
      });
      this.#fillMasker = p;
    }
    return this.#fillMasker;
  }
}

/** One promise chain per model: each call starts when the one before it settles. */
const chains = new WeakMap<object, Promise<unknown>>();
function queued<T>(model: object, run: () => Promise<T>): Promise<T> {
  const next = (chains.get(model) ?? Promise.resolve()).then(run, run);
  chains.set(
    model,
    next.catch(() => undefined),
  );
  return next;
}

function oneAtATimeMasker(m: FillMasker): FillMasker {
  return { maskToken: m.maskToken, fill: (texts, topK) => queued(m, () => m.fill(texts, topK)) };
}

function oneAtATimeTranslator(t: Translator): Translator {
  return { translate: (requests, direction, sampling) => queued(t, () => t.translate(requests, direction, sampling)) };
}
