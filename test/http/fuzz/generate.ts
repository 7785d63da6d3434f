/**
 * Request bodies for the fuzz test: valid-looking values drawn from the JSON Schemas the server publishes
 * in /openapi.json (generated from the zod schemas it validates with), then mutated.
 */
import { SeededRng } from '../../../src/core/seeded-rng.ts';

export type Schema = Record<string, unknown>;

/** Values that satisfy the id and name patterns of this API, tried before random text. */
const NICE_STRINGS = ['tiny', 'ok.jsonl', 'ok', 'eda', 'fine film', 'a.b-c', 'x1', 'en-de', '1/2', 'ok-data'];

const UNICODE = [
  '\u0000',
  '\ud800', // a lone surrogate
  '\u202e', // right-to-left override
  '🎬🍿',
  'e\u0301', // combining accent
  '\ufeff',
  '漢字かな',
  '\u00a0',
  '%ff%fe',
  '../../etc/passwd',
  '/dev/zero',
  '__proto__',
];

export class BodyGenerator {
  readonly #root: Schema;
  readonly rng: SeededRng;

  constructor(root: Schema, rng: SeededRng) {
    this.#root = root;
    this.rng = rng;
  }

  #resolve(s: Schema): Schema {
    const ref = s.$ref;
    if (typeof ref !== 'string') return s;
    if (ref === '#') return this.#root;
    const parts = ref.replace(/^#\//, '').split('/');
    let at: unknown = this.#root;
    for (const p of parts) at = (at as Record<string, unknown>)[p];
    return (at as Schema) ?? {};
  }

  #int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.next() * (hi - lo + 1));
  }

  randomString(max = 24): string {
    const n = this.#int(0, max);
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCharCode(this.#int(32, 126));
    return out;
  }

  /** A value meant to pass the schema (it may not, for patterns it cannot guess: that is fine). */
  valid(schema: Schema, depth = 0): unknown {
    const s = this.#resolve(schema);
    if (s.const !== undefined) return s.const;
    if (Array.isArray(s.enum)) return this.rng.pick(s.enum);
    const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(alts)) {
      // deep recursive schemas (recipe flows) pick their leaf branch as they go deeper
      const pick = depth > 4 ? alts[0]! : this.rng.pick(alts);
      return this.valid(pick, depth + 1);
    }
    if (Array.isArray(s.allOf) && s.allOf.length > 0) return this.valid(s.allOf[0] as Schema, depth + 1);
    const type = Array.isArray(s.type) ? this.rng.pick(s.type as string[]) : s.type;
    switch (type) {
      case 'object': {
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const required = new Set((s.required ?? []) as string[]);
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(props))
          if (required.has(k) || this.rng.next() < 0.4) out[k] = this.valid(v, depth + 1);
        if (s.additionalProperties && typeof s.additionalProperties === 'object' && this.rng.next() < 0.5)
          out[this.rng.pick(NICE_STRINGS)] = this.valid(s.additionalProperties as Schema, depth + 1);
        return out;
      }
      case 'array': {
        const min = Number(s.minItems ?? 0);
        const max = Math.min(Number(s.maxItems ?? 4), min + 3);
        const items = (s.items ?? {}) as Schema;
        return Array.from({ length: this.#int(min, Math.max(min, max)) }, () => this.valid(items, depth + 1));
      }
      case 'string': {
        const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined;
        const min = Number(s.minLength ?? 0);
        const max = Math.min(Number(s.maxLength ?? 40), 40);
        const candidates = [...NICE_STRINGS, this.randomString(max)].filter(
          (c) => c.length >= min && c.length <= Math.max(max, min) && (!pattern || pattern.test(c)),
        );
        return candidates.length > 0 ? this.rng.pick(candidates) : this.randomString(max);
      }
      case 'integer': {
        const lo = Number(s.minimum ?? (s.exclusiveMinimum !== undefined ? Number(s.exclusiveMinimum) + 1 : 0));
        const hi = Math.min(Number(s.maximum ?? lo + 8), lo + 8);
        return this.#int(lo, Math.max(lo, hi));
      }
      case 'number': {
        const lo = Number(s.minimum ?? s.exclusiveMinimum ?? 0);
        const hi = Number(s.maximum ?? lo + 4);
        return lo + this.rng.next() * (Math.min(hi, lo + 4) - lo) || lo + 0.5;
      }
      case 'boolean':
        return this.rng.next() < 0.5;
      case 'null':
        return null;
      default:
        return this.rng.pick([1, 'x', true, null, {}, []]);
    }
  }

  /** A wrong value of some kind: another type, a huge or odd number, long or odd text, deep nesting. */
  wrong(): unknown {
    const r = this.rng;
    switch (this.#int(0, 11)) {
      case 0:
        return r.pick([1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, 1e9, -1, 0.5]);
      case 1:
        return r.pick(UNICODE) + this.randomString(8);
      case 2:
        return 'x'.repeat(r.pick([5000, 70_000, 300_000]));
      case 3:
        return Array.from({ length: r.pick([100, 5000]) }, () => r.pick(['a', 1, null]));
      case 4: {
        let v: unknown = 'leaf';
        for (let i = 0, n = r.pick([20, 70, 200]); i < n; i++) v = r.next() < 0.5 ? [v] : { a: v };
        return v;
      }
      case 5:
        return { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } };
      case 6:
        return null;
      case 7:
        return [];
      case 8:
        return {};
      case 9:
        return r.pick([true, false]);
      case 10:
        return { sequence: [{ oneOf: [{ op: 'lexicon', params: { file: '/etc/passwd' } }] }] };
      default:
        return String(r.next());
    }
  }

  /** A valid-looking value with one to three of its fields (at any depth) replaced, dropped or added. */
  mutate(value: unknown): unknown {
    const copy = structuredClone(value);
    for (let k = this.#int(1, 3); k > 0; k--) this.#mutateOnce(copy);
    return copy;
  }

  #mutateOnce(root: unknown): void {
    // walk down to a random container
    let at = root;
    for (let d = 0; d < 6; d++) {
      if (typeof at !== 'object' || at === null) return;
      const keys = Object.keys(at);
      if (keys.length === 0 || this.rng.next() < 0.3) break;
      const next = (at as Record<string, unknown>)[this.rng.pick(keys)];
      if (typeof next !== 'object' || next === null) break;
      at = next;
    }
    if (typeof at !== 'object' || at === null) return;
    const obj = at as Record<string, unknown>;
    const keys = Object.keys(obj);
    const action = this.#int(0, 3);
    if (action === 0 && keys.length > 0) delete obj[this.rng.pick(keys)];
    else if (action === 1 || keys.length === 0)
      obj[this.rng.pick(['n', 'file', 'path', '__proto__', 'x'])] = this.wrong();
    else obj[this.rng.pick(keys)] = this.wrong();
  }
}
