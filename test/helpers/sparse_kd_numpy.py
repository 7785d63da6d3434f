"""The two sparse distillation losses of docs/TRAINING-LLM.md, in numpy, run on a real distillery
safetensors export (argv[1]) against a student's full log-probs (argv[2]: safetensors with
`student_logprobs` F32 [T, V], aligned with the export's tokens). Prints JSON:

  topk_kl     mean over scored positions of  sum_j p_j (log p_j - log q_j) + p_tail (log p_tail - log q_tail)
  sampled_ce  mean over scored positions of  -(1/N) sum_i c_i log q(x_i)   (RS-KD: unbiased for -sum p log q)
  positions   scored positions
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def load(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n :]
    return {
        k: np.frombuffer(data[v["data_offsets"][0] : v["data_offsets"][1]], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        for k, v in header.items()
    }


ex = load(sys.argv[1])
q = load(sys.argv[2])["student_logprobs"].astype(np.float64)
scored = ex["labels"] != -100
ids = ex["topk_ids"][scored].astype(np.int64)
lp = ex["topk_logprobs"][scored].astype(np.float64)
lq_all = q[scored]
lq = np.take_along_axis(lq_all, ids, axis=1)
p = np.exp(lp)
p_tail = np.clip(ex["tail_mass"][scored].astype(np.float64), 1e-12, 1)
q_tail = np.clip(1 - np.exp(lq).sum(axis=1), 1e-12, 1)
topk_kl = (p * (lp - lq)).sum(axis=1) + p_tail * (np.log(p_tail) - np.log(q_tail))

# RS-KD: token i's samples are sample_ids[sample_offsets[i]:sample_offsets[i+1]]
off = ex["sample_offsets"]
draws = ex["sample_counts"].astype(np.float64)
ce = []
for t in np.nonzero(scored)[0]:
    a, b = off[t], off[t + 1]
    ce.append(-(draws[a:b] * q[t, ex["sample_ids"][a:b]]).sum() / draws[a:b].sum())
print(json.dumps({"topk_kl": float(topk_kl.mean()), "sampled_ce": float(np.mean(ce)), "positions": int(scored.sum())}))
