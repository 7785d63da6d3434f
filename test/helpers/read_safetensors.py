"""Independent safetensors reader (numpy only) for the export tests: checks the framing against
the format spec and prints each tensor as JSON (dtype, shape, values as float lists)."""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}

with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "header not 8-byte aligned"
header = json.loads(raw[8 : 8 + n].decode("utf-8"))
data = raw[8 + n :]
meta = header.pop("__metadata__", {})
assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
spans = sorted(tuple(v["data_offsets"]) for v in header.values())
pos = 0
for begin, end in spans:
    assert begin == pos, "gap or overlap in tensor data"
    pos = end
assert pos == len(data), "trailing bytes after tensors"
out = {"metadata": meta, "tensors": {}}
for name, v in header.items():
    begin, end = v["data_offsets"]
    arr = np.frombuffer(data[begin:end], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
    out["tensors"][name] = {"dtype": v["dtype"], "shape": v["shape"], "values": arr.astype(np.float64).reshape(-1).tolist()}
json.dump(out, sys.stdout)
