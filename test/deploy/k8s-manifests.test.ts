/**
 * deploy/k8s/ without a cluster (no kubectl here): every manifest is parsed with the project's YAML
 * parser, every distillery container's command line is parsed by the real CLI's commander definitions
 * (an unknown flag, a missing value or argument fails), and the references between the objects hold:
 * Services select the pods they name, volumes are claims and ConfigMaps defined beside them, paths the
 * commands write lie on a mounted volume, the job file is a valid job, and the Indexed Job's --shard
 * matches its completions for every index Kubernetes hands out.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../src/config.ts';
import { registerJobs } from '../../src/cli/commands/jobs.ts';
import { registerRun } from '../../src/cli/commands/run.ts';
import { registerWorker } from '../../src/cli/commands/worker.ts';
import { parseJobYaml, shardSchema } from '../../src/jobs/index.ts';

const K8S = path.join(REPO_ROOT, 'deploy/k8s');

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    ports?: { port: number; targetPort?: string | number }[];
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    completionMode?: string;
    completions?: number;
    parallelism?: number;
  };
  data?: Record<string, string>;
}

function manifests(): (Manifest & { file: string })[] {
  const out: (Manifest & { file: string })[] = [];
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const m = doc.toJS() as Manifest;
      assert.ok(m.apiVersion && m.kind && m.metadata?.name, `${file}: a document without apiVersion/kind/name`);
      out.push({ ...m, file });
    }
  }
  return out;
}

/** The command line as the real CLI parses it: the subcommand and its options, nothing run. */
async function parseCli(argv: string[]): Promise<{ command: string; args: string[]; opts: Record<string, unknown> }> {
  const program = new Command().exitOverride();
  registerRun(program);
  registerWorker(program);
  registerJobs(program);
  let parsed: { command: string; args: string[]; opts: Record<string, unknown> } | undefined;
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    sub.action((...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      parsed = { command: cmd.name(), args: cmd.args, opts: cmd.opts() };
    });
  }
  await program.parseAsync(argv, { from: 'user' });
  assert.ok(parsed, `${argv.join(' ')}: no command ran`);
  return parsed;
}

/** Kubernetes' $(VAR) expansion of args, from the variables the pod gets. */
const expand = (arg: string, env: Record<string, string>): string =>
  arg.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (whole, v: string) => env[v] ?? whole);

const under = (p: string, mounts: Container['volumeMounts'] = []) =>
  mounts.find((m) => p === m.mountPath || p.startsWith(`${m.mountPath}/`));

test('deploy/k8s: the objects parse, refer to each other, and run real distillery command lines', async () => {
  const all = manifests();
  const byKind = (kind: string) => all.filter((m) => m.kind === kind);
  const named = (kind: string, name: string) => all.find((m) => m.kind === kind && m.metadata.name === name);

  // what issue 16 asks for: a worker Deployment, a Redis, and the Indexed Job writing parts
  assert.ok(named('Deployment', 'distillery-worker'));
  assert.ok(named('Deployment', 'distillery-redis'));
  const indexed = byKind('Job').find((j) => j.spec?.completionMode === 'Indexed');
  assert.ok(indexed, 'an Indexed Job');
  assert.equal(indexed.spec!.parallelism, indexed.spec!.completions);

  // every Service selects pods some workload makes, on a port they listen on
  for (const svc of byKind('Service')) {
    const sel = svc.spec!.selector!;
    const target = all.find((m) =>
      Object.entries(sel).every(([k, v]) => m.spec?.template?.metadata?.labels?.[k] === v),
    );
    assert.ok(target, `Service ${svc.metadata.name} selects no pod`);
  }
  // workloads select their own pods
  for (const d of byKind('Deployment'))
    for (const [k, v] of Object.entries(d.spec!.selector!.matchLabels!))
      assert.equal(d.spec!.template!.metadata!.labels![k], v, `${d.metadata.name}: selector ${k}`);

  const redis = named('Deployment', 'distillery-redis')!.spec!.template!.spec.containers[0]!;
  assert.deepEqual(redis.command!.slice(redis.command!.indexOf('--appendonly'), -2), [
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
  ]);

  let distilleryContainers = 0;
  const partsDirs = new Map<string, string[]>();
  for (const w of all.filter((m) => m.spec?.template)) {
    const pod = w.spec!.template!.spec;
    for (const v of pod.volumes ?? []) {
      if (v.persistentVolumeClaim)
        assert.ok(
          named('PersistentVolumeClaim', v.persistentVolumeClaim.claimName),
          `${w.file}: claim ${v.persistentVolumeClaim.claimName}`,
        );
      if (v.configMap) assert.ok(named('ConfigMap', v.configMap.name), `${w.file}: ConfigMap ${v.configMap.name}`);
    }
    for (const c of pod.containers) {
      for (const m of c.volumeMounts ?? [])
        assert.ok(
          pod.volumes?.some((v) => v.name === m.name),
          `${w.file}: mount of undefined volume ${m.name}`,
        );
      if (c.command?.[1] !== 'bin/distillery.js') continue;
      distilleryContainers++;
      assert.equal(c.command[0], 'node');
      assert.ok(existsSync(path.join(REPO_ROOT, c.command[1])));
      // an Indexed Job's pods get JOB_COMPLETION_INDEX 0..completions-1: every one must parse
      const indexes = w.spec?.completionMode === 'Indexed' ? [...Array(w.spec.completions).keys()] : [undefined];
      for (const index of indexes) {
        const env: Record<string, string> = index === undefined ? {} : { JOB_COMPLETION_INDEX: String(index) };
        const argv = (c.args ?? []).map((a) => expand(a, env));
        assert.ok(!argv.some((a) => a.includes('$(')), `${w.file}: an unexpanded variable in ${argv.join(' ')}`);
        const cli = await parseCli(argv);
        const o = cli.opts as Record<string, string | undefined>;
        if (o.queue) {
          const u = new URL(o.queue);
          const svc = named('Service', u.hostname);
          assert.ok(svc, `${w.file}: --queue names no Service ${u.hostname}`);
          assert.ok(svc.spec!.ports!.some((p) => p.port === Number(u.port)));
        }
        // what the command writes is on a writable mounted volume; the job file is on its ConfigMap
        for (const p of [o.db, o.parts].filter((x): x is string => x !== undefined)) {
          const m = under(p, c.volumeMounts);
          assert.ok(m && !m.readOnly, `${w.file}: ${p} is on no writable volume`);
        }
        if (cli.command === 'run') {
          const jobFile = cli.args[0]!;
          const m = under(jobFile, c.volumeMounts)!;
          const vol = pod.volumes!.find((v) => v.name === m.name)!;
          const text = named('ConfigMap', vol.configMap!.name)!.data![path.relative(m.mountPath, jobFile)];
          assert.ok(text, `${w.file}: ${jobFile} is not in its ConfigMap`);
          const job = parseJobYaml(text, jobFile);
          for (const e of job.export)
            assert.ok(under(e.out, c.volumeMounts) && !under(e.out, c.volumeMounts)!.readOnly);
          if (o.parts) partsDirs.set(w.metadata.name, [...(partsDirs.get(w.metadata.name) ?? []), o.parts]);
        }
        if (index !== undefined) {
          const shard = shardSchema.parse(o.shard);
          assert.deepEqual(shard, { index, count: w.spec!.completions });
          assert.ok(o.parts, 'the Indexed Job writes parts (--parts)');
        }
      }
    }
  }
  assert.ok(distilleryContainers >= 4, `${distilleryContainers} distillery containers`);
  // the merge job reads the directory the shards write
  const shardDir = new Set(partsDirs.get(indexed.metadata.name));
  assert.equal(shardDir.size, 1);
  const merge = named('Job', 'distillery-merge-parts')!;
  assert.deepEqual(partsDirs.get(merge.metadata.name), [...shardDir]);
});

test('the manifests check catches a flag the CLI does not have', async () => {
  await assert.rejects(parseCli(['worker', '--queue', 'redis://x:6379', '--gpus', '1']), /unknown option '--gpus'/);
  await assert.rejects(parseCli(['worker']), /required option '--queue <url>' not specified/);
});
