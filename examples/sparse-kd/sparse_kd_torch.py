"""The sparse-KD walk-through of docs/TRAINING-LLM.md, PyTorch half.

Reads what export-demo.ts wrote to OUT_DIR (a distillery safetensors export of the demo reviews
labelled by models/demo-lm, and the teacher's full log-probs of the same tokens), and checks the two
losses of the doc, whose functions below are copied from it word for word (a test compares them):

1. top-k + tail bucket: on a student that disagrees with the teacher, the loss computed from the
   export (quantized top-k log-probs, fp16 tail mass) equals the same bucketed KL computed from the
   teacher's exact full distribution within the store's quantization, and is at most the dense KL
   (merging the tail into one bucket can only lower a KL);
2. sampled (RS-KD): its value is within 4 standard errors of the exact cross-entropy, and its
   gradient's expectation is the dense gradient: summed over positions, (dense - sampled) gradient
   per vocabulary entry is p - c/N, whose z-scores stay within 5 (tokens expected >= 20 times);
3. both train: a bigram student (one logit table row per input token) trained by each loss moves
   toward the teacher, measured by the dense KL on the scored positions.

Needs torch and numpy only (no safetensors or pyarrow package: the format is an 8-byte header length,
a JSON header and raw little-endian bytes). Prints a JSON report; exits 1 when a check fails.

    python3 examples/sparse-kd/sparse_kd_torch.py OUT_DIR [--steps 150]
"""
import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n :]
    return {
        name: torch.from_numpy(
            np.frombuffer(data[t["data_offsets"][0] : t["data_offsets"][1]], dtype=DTYPES[t["dtype"]])
            .reshape(t["shape"])
            .copy()
        )
        for name, t in header.items()
    }


# ---- the two losses, as docs/TRAINING-LLM.md gives them ----


def topk_tail_kl(student_logits, token_ids, top_values, tail_mass, mask, T=1.0):
    """KL(teacher || student) over the top-k ids plus one bucket for everything else."""
    log_q = torch.log_softmax(student_logits.float() / T, dim=-1)          # [B, S, V]
    log_q_top = log_q.gather(-1, token_ids.long())                          # [B, S, k]
    log_p_top = top_values.float()                                          # teacher log-probs at T=1
    if T != 1.0:                                                            # re-temper the k+1 buckets
        log_p_top = log_p_top / T
        tail_t = tail_mass.clamp_min(1e-12).log() / T
        z = torch.logsumexp(torch.cat([log_p_top, tail_t.unsqueeze(-1)], -1), -1, keepdim=True)
        log_p_top, log_p_tail = log_p_top - z, (tail_t.unsqueeze(-1) - z).squeeze(-1)
    else:
        log_p_tail = tail_mass.clamp_min(1e-12).log()
    log_q_tail = torch.log1p(-log_q_top.exp().sum(-1).clamp(max=1 - 1e-6))
    p_top = log_p_top.exp()                                                 # pads: exp(-1e4) = 0
    kl = (p_top * (log_p_top - log_q_top)).sum(-1) + log_p_tail.exp() * (log_p_tail - log_q_tail)
    return (kl * mask).sum() / mask.sum() * T * T


def sampled_kd(student_logits, sample_offsets, sample_ids, sample_counts, mask, T=1.0):
    """Safetensors layout: token t's samples are sample_ids[sample_offsets[t]:sample_offsets[t+1]],
    student_logits [T_total, V] over the same concatenated token axis."""
    log_q = torch.log_softmax(student_logits.float() / T, dim=-1)
    lengths = sample_offsets[1:] - sample_offsets[:-1]                      # [T_total]
    rows = torch.arange(len(lengths), device=log_q.device)
    token_of = torch.repeat_interleave(rows, lengths.to(log_q.device))      # owner of each sample
    counts = sample_counts.to(log_q.device).float()
    draws = log_q.new_zeros(len(lengths)).index_add(0, token_of, counts)    # N per scored token
    picked = log_q[token_of, sample_ids.to(log_q.device).long()]            # [nnz]
    ce = log_q.new_zeros(len(lengths)).index_add(0, token_of, -counts * picked) / draws.clamp_min(1)
    return (ce * mask).sum() / mask.sum() * T * T


# ---- references from the teacher's full distribution ----


def dense_kl(student_logits, log_p, mask):
    log_q = torch.log_softmax(student_logits.double(), -1)
    kl = (log_p.exp() * (log_p - log_q)).sum(-1)
    return float((kl * mask).sum() / mask.sum())


def main():
    out = sys.argv[1]
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 150
    demo = json.load(open(f"{out}/demo.json"))
    ex = load_safetensors(f"{out}/{demo['export']}")
    log_p_full = load_safetensors(f"{out}/{demo['teacher_full']}")["teacher_logprobs"].double()
    V, N = demo["vocab"], demo["draws"]
    mask = (ex["labels"] != -100).double()
    scored = mask.bool()
    n_scored = int(mask.sum())
    checks = {}
    report = {"sequences": demo["sequences"], "tokens": demo["tokens"], "scored": n_scored, "k": demo["k"], "draws": N}

    # a student that disagrees with the teacher: its log-probs plus seeded noise
    gen = torch.Generator().manual_seed(14)
    student = (log_p_full + 3 * (torch.rand(log_p_full.shape, generator=gen, dtype=torch.float64) - 0.5)).float()
    student[~scored] = 0

    # 1. top-k + tail bucket
    sparse = float(topk_tail_kl(student, ex["topk_ids"], ex["topk_logprobs"], ex["tail_mass"], mask))
    ids = ex["topk_ids"].long()
    lp_top = log_p_full.gather(-1, ids)
    lq = torch.log_softmax(student.double(), -1)
    lq_top = lq.gather(-1, ids)
    p_tail = (1 - lp_top.exp().sum(-1)).clamp_min(1e-12)
    q_tail = (1 - lq_top.exp().sum(-1)).clamp_min(1e-12)
    bucketed = (lp_top.exp() * (lp_top - lq_top)).sum(-1) + p_tail * (p_tail.log() - q_tail.log())
    exact_bucketed = float((bucketed * mask).sum() / mask.sum())
    dense = dense_kl(student, log_p_full, mask)
    report["topk_tail_kl"] = {"from_export": sparse, "exact_bucketed": exact_bucketed, "dense_kl": dense}
    checks["topk KL from the export = exact bucketed KL (within 0.02)"] = abs(sparse - exact_bucketed) <= 0.02
    checks["topk KL <= dense KL (+0.02 quantization)"] = sparse <= dense + 0.02
    checks["the student differs from the teacher (dense KL > 0.1)"] = dense > 0.1

    # 2. sampled estimator: value and gradient expectation
    logits = student.clone().requires_grad_(True)
    est = sampled_kd(logits, ex["sample_offsets"], ex["sample_ids"], ex["sample_counts"], mask)
    (g_sampled,) = torch.autograd.grad(est, logits)
    p = log_p_full.exp()
    ce_rows = -(p * lq).sum(-1)
    exact_ce = float((ce_rows * mask).sum() / mask.sum())
    var_rows = ((p * lq * lq).sum(-1) - ce_rows**2) / N
    se = math.sqrt(float((var_rows * mask).sum())) / n_scored
    logits_d = student.clone().requires_grad_(True)
    dense_ce = (-(p.float() * torch.log_softmax(logits_d, -1)).sum(-1) * mask.float()).sum() / mask.sum()
    (g_dense,) = torch.autograd.grad(dense_ce, logits_d)
    # per position the difference is (p - c/N) / n_scored; summed over positions, each entry's mean is 0
    diff = ((g_dense - g_sampled).double() * n_scored)[scored].sum(0)
    var = (p * (1 - p) / N)[scored].sum(0)
    z = diff / var.clamp_min(1e-30).sqrt()
    # the normal approximation needs counts: test the tokens expected at least 20 times in all
    tested = p[scored].sum(0) * N >= 20
    z_max = float(z[tested].abs().max())
    report["sampled_kd"] = {
        "estimate": float(est),
        "exact_ce": exact_ce,
        "standard_error": se,
        "gradient_z_max": z_max,
        "gradient_tokens_tested": int(tested.sum()),
    }
    checks["sampled CE within 4 standard errors of the exact CE"] = abs(float(est) - exact_ce) <= 4 * se
    checks["sampled gradient's expectation = dense gradient (|z| <= 5 for every token)"] = z_max <= 5

    # 3. training a bigram student with each loss
    inputs = ex["input_ids"].long()
    training = {}
    for name in ("topk_tail_kl", "sampled_kd"):
        torch.manual_seed(0)
        table = torch.zeros(V, V, requires_grad=True)
        opt = torch.optim.Adam([table], lr=0.1)
        start = dense_kl(table[inputs].detach(), log_p_full, mask)
        for _ in range(steps):
            logits = table[inputs]
            if name == "topk_tail_kl":
                loss = topk_tail_kl(logits, ex["topk_ids"], ex["topk_logprobs"], ex["tail_mass"], mask)
            else:
                loss = sampled_kd(logits, ex["sample_offsets"], ex["sample_ids"], ex["sample_counts"], mask)
            opt.zero_grad()
            loss.backward()
            opt.step()
        end = dense_kl(table[inputs].detach(), log_p_full, mask)
        training[name] = {"dense_kl_start": start, "dense_kl_end": end, "steps": steps}
        checks[f"{name} training lowers the dense KL to under a third"] = end < start / 3
    report["training"] = training
    report["checks"] = checks
    print(json.dumps(report, indent=2))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
