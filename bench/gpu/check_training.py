"""Runs docs/TRAINING.md's Python on real distillery exports, on a machine with torch + pyarrow (the
GPU machine; never CI). The doc's code runs as written except for what cannot work offline: the
Parquet loader (`datasets` is not installed there, so a pyarrow stand-in of load_dataset is put in
sys.modules), file paths, and the student (a small BERT built from a config, with the tiny fixture's
tokenizer, instead of a hub download).

  python3 bench/gpu/check_training.py PARQUET SAFETENSORS TOKENIZER_DIR
"""
import json, re, sys, types, pathlib, tempfile

import pyarrow.parquet as pq
import torch
import torch.nn.functional as F

parquet_path, st_path, tok_dir = sys.argv[1:4]
doc = pathlib.Path("docs/TRAINING.md").read_text()
blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
train_src, st_src = blocks[0], blocks[1]

# --- pyarrow reads the Parquet export: types a trainer relies on
table = pq.read_table(parquet_path)
schema = {f.name: str(f.type) for f in table.schema}
print("parquet rows", table.num_rows, "schema", json.dumps(schema))
hidden_col = next(c for c in table.column_names if c.startswith("hidden_"))
assert schema["logits"].startswith("list<element: float"), schema["logits"]
assert schema[hidden_col].startswith("list<element: halffloat"), schema[hidden_col]
assert schema["ordinal"] == "int64" and schema["label"] in ("int64", "string"), schema

# --- a stand-in for datasets.load_dataset("parquet", data_files=[...], split="train")
class Rows(torch.utils.data.Dataset):
    def __init__(self, files):
        t = pq.read_table(files[0]) if len(files) == 1 else None
        self.rows = t.to_pylist()
        self.column_names = t.column_names
    def __len__(self): return len(self.rows)
    def __getitem__(self, i): return self.rows[i]
fake = types.ModuleType("datasets")
fake.load_dataset = lambda kind, data_files, split: Rows(data_files)
sys.modules["datasets"] = fake

# --- a local student: small BERT from a config, tokenizer of the tiny fixture
from transformers import BertConfig, BertForSequenceClassification, AutoTokenizer
student_dir = tempfile.mkdtemp()
tok = AutoTokenizer.from_pretrained(tok_dir)
tok.save_pretrained(student_dir)
torch.manual_seed(0)
BertForSequenceClassification(BertConfig(vocab_size=tok.vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128, num_labels=2)).save_pretrained(student_dir)

src = train_src.replace('sorted(glob.glob("out/sst2-aug-*.parquet"))', repr([parquet_path]))
src = src.replace('"google/bert_uncased_L-2_H-128_A-2"', repr(student_dir))
src = src.replace("BETA = 0.0", "BETA = 0.5").replace('HIDDEN_COL = "hidden_12_cls"', f"HIDDEN_COL = {hidden_col!r}")
src = src.replace("for epoch in range(3):", "losses = []\nfor epoch in range(2):").replace("        opt.step()", "        opt.step()\n        losses.append(loss.item())")
assert src.count(parquet_path) == 1 and student_dir in src and "BETA = 0.5" in src, "the doc changed: update the substitutions"
env = {}
exec(compile(src, "TRAINING.md block 1", "exec"), env)
losses = env["losses"]
first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
print(f"training: {len(losses)} steps, use_hidden={env['use_hidden']}, mean loss first 10 steps {first:.4f}, last 10 {last:.4f}")
assert env["use_hidden"] and last < first, "the student did not learn"

# --- the safetensors block on a per-token + attention export of the tiny teacher (2 layers)
src = st_src.replace('"out/sst2-aug-00000.safetensors"', repr(st_path)).replace('"hidden.12.none"', '"hidden.2.none"').replace('"attn.11"', '"attn.1"')
env = {}
exec(compile(src, "TRAINING.md block 2", "exec"), env)
states, attn, n = env["states"], env["attn"], env["n"]
print("safetensors: spec", env["spec"], "states", tuple(states.shape), "attn", tuple(attn.shape), "tokens", n)
assert states.shape == (n, 32) and attn.shape[1:] == (n, n)
assert torch.allclose(attn.float().sum(-1), torch.ones(attn.shape[:2]), atol=1e-3), "attention rows sum to 1"
print("TRAINING.md: OK")
