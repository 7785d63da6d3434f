/** `distillery models list | inspect | expose-hidden`: what a teacher offers, and how to get more. */
import type { Command } from 'commander';
import { convertModelDir } from '../../teacher/convert-model.ts';
import type { Device } from '../../teacher/devices.ts';
import { exposeTopkDir } from '../../teacher/causal/expose-topk-dir.ts';
import { exposeHiddenDir, inspectModel } from '../../teacher/model-tools.ts';
import { loadCliContext } from '../cli-context.ts';

export function addEngineModelCommands(models: Command): void {
  models
    .command('list')
    .description('List the configured teachers with their fingerprints')
    .option('--config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  distillery models list')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { registry } = await loadCliContext({ config: opts.config });
      const rows = [];
      for (const name of registry.names()) {
        try {
          if (registry.isCausal(name)) {
            const t = await registry.getCausal(name);
            rows.push({ ...t.info, labels: [] as string[], deviceNotes: [] as readonly string[] });
            continue;
          }
          const t = await registry.get(name);
          rows.push({
            name,
            task: t.info.task,
            device: t.info.device,
            dtype: t.info.dtype,
            fingerprint: t.info.fingerprint,
            labels: t.info.labels,
            deviceNotes: t.deviceNotes,
          });
        } catch (err) {
          rows.push({ name, error: (err as Error).message });
        }
      }
      await registry.close();
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      for (const r of rows) {
        console.log(
          'error' in r
            ? `${r.name}\tFAILED: ${r.error}`
            : `${r.name}\t${r.task}\t${r.device}/${r.dtype}\t${r.fingerprint.slice(0, 16)}\t${r.labels.join(',')}`,
        );
        if (!('error' in r)) r.deviceNotes.forEach((n) => console.log(`  note: ${n}`));
      }
    });

  models
    .command('inspect')
    .argument('<dir>', 'model folder (Hugging Face layout)')
    .description('Show task, labels, graph inputs/outputs, available distillation outputs and the fingerprint')
    .option('--dtype <dtype>', 'which ONNX file: fp32, fp16, q8, ...', 'fp32')
    .option('--device <device>', 'which device to try, as a teacher would: cpu, cuda, webgpu or auto', 'cpu')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  distillery models inspect models/demo-sentiment --dtype q8\n  distillery models inspect models/demo-sentiment --dtype fp16 --device auto',
    )
    .action(async (dir: string, opts: { dtype: string; device: Device; json?: boolean }) => {
      const info = await inspectModel(dir, opts.dtype, opts.device);
      if (opts.json) return void console.log(JSON.stringify(info, null, 2));
      const fmt = (v: { name: string; type: string; shape: unknown[] }) =>
        `  ${v.name}  ${v.type} [${v.shape.join(', ')}]`;
      console.log(`model        ${info.dir} (${info.dtype}; files: ${info.onnxFiles.join(', ')})`);
      console.log(`task         ${info.task} (${info.architecture})`);
      console.log(`labels       ${info.labels.join(', ') || '-'}`);
      console.log(`max length   ${info.maxLength}`);
      console.log(`fingerprint  ${info.fingerprint}`);
      console.log(`device       ${info.device} (providers in this build: ${info.providers.join(', ')})`);
      info.deviceNotes.forEach((n) => console.log(`  note: ${n}`));
      console.log('inputs');
      info.inputs.forEach((v) => console.log(fmt(v)));
      console.log('outputs');
      info.outputs.forEach((v) => console.log(fmt(v)));
      if (info.causal) {
        const c = info.causal;
        console.log(`vocabulary   ${c.vocabSize}`);
        console.log(`context      ${c.contextLength}`);
        console.log(`chat template ${c.chatTemplate ? 'yes' : 'no'}`);
        console.log(
          `graph        ${c.pastInputs ? `${c.pastInputs} past_key_values inputs (fed empty)` : 'no KV-cache inputs'}; num_logits_to_keep: ${c.numLogitsToKeep ? 'yes' : 'no'}; targets in graph: ${c.targetsInGraph ? 'yes' : 'no (added at load)'}`,
        );
        console.log('per-position outputs');
        c.outputs.forEach((o) => console.log(`  ${o}`));
        return;
      }
      const d = info.distillationOutputs;
      console.log(
        `distillation logits: ${d.logits ? 'yes' : 'no'}; hidden states: ${d.hiddenStates.length ? `layers ${d.hiddenStates.join(',')}` : 'none'}; attentions: ${d.attentions.length ? `layers ${d.attentions.join(',')}` : 'none'}`,
      );
      if (d.hint) console.log(`hint         ${d.hint}`);
    });

  models
    .command('expose-topk')
    .argument('<in_dir>', 'causal-LM folder (Hugging Face layout, onnx/model.onnx with a logits output)')
    .argument('<out_dir>', 'where to write the copy')
    .option('--k <k>', 'default k of the top-k output (still overridable through the targets.k input)', Number)
    .option('--temperature <t>', 'default temperature (overridable through targets.temperature)', Number)
    .description(
      'Copy a causal LM whose LM head is replaced by one that returns, for the rows fed in targets.rows, log-softmax top-k, log-sum-exp, entropy and the next-token log-prob/rank (no full logits)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  distillery models expose-topk ~/models/qwen2.5-0.5b ~/models/qwen2.5-0.5b-topk --k 128',
    )
    .action((inDir: string, outDir: string, opts: { k?: number; temperature?: number }) => {
      const report = exposeTopkDir(inDir, outDir, opts);
      for (const f of report.files) {
        console.log(
          f.alreadyPresent
            ? `${f.file}: already outputs the targets, copied as is`
            : `${f.file}: added targets.* outputs${f.hidden ? ' (with targets.hidden)' : ''}`,
        );
      }
      console.log(`wrote ${report.outDir}`);
    });

  models
    .command('expose-hidden')
    .argument('<in_dir>', 'model folder whose graph outputs only logits')
    .argument('<out_dir>', 'where to write the copy')
    .description("Copy a model so its graph also outputs every layer's hidden states (hidden_states.0..L)")
    .addHelpText(
      'after',
      '\nExample:\n  distillery models expose-hidden ~/models/distilbert-sst2 ~/models/distilbert-sst2-hidden',
    )
    .action((inDir: string, outDir: string) => {
      const report = exposeHiddenDir(inDir, outDir);
      for (const f of report.files) {
        console.log(
          f.alreadyPresent
            ? `${f.file}: already outputs hidden states, copied as is`
            : `${f.file}: added ${f.added.join(', ')}`,
        );
      }
      console.log(`wrote ${report.outDir}`);
    });

  models
    .command('convert')
    .argument('<in_dir>', 'model folder with the fp32 graph at onnx/model.onnx')
    .argument('<out_dir>', 'where to write it (may be in_dir: the new graph goes beside the fp32 one)')
    .requiredOption('--dtype <dtype>', 'target precision: fp16')
    .option('--force', 'replace an existing onnx/model_fp16.onnx')
    .option('--json', 'print JSON')
    .description(
      'Write onnx/model_fp16.onnx: float16 weights and activations, LayerNorm, Softmax and the logits head kept in fp32, int64 inputs and fp32 outputs as before',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  distillery models convert models/demo-sentiment /tmp/demo-fp16 --dtype fp16\n  distillery models convert bench/models/bench-bert-base bench/models/bench-bert-base --dtype fp16',
    )
    .action((inDir: string, outDir: string, opts: { dtype: string; force?: boolean; json?: boolean }) => {
      const report = convertModelDir(inDir, outDir, { dtype: opts.dtype, force: opts.force });
      if (opts.json) return void console.log(JSON.stringify(report, null, 2));
      const kept = Object.entries(report.keptFp32)
        .map(([op, n]) => `${op} x${n}`)
        .join(', ');
      console.log(
        `wrote ${report.file} (${(report.bytes / 1e6).toFixed(1)} MB): ${report.parametersConverted} weights in fp16, ${report.nodesFp16} nodes in fp16, kept in fp32: ${kept || 'none'}; ${report.castsInserted} casts`,
      );
    });
}
