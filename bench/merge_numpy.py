#!/usr/bin/python3
"""The numpy baseline of bench/merge.sh: merge a PEFT LoRA adapter into a
native bf16 consolidated.safetensors the way a numpy user would (memory-map
the base, float32 B@A via BLAS, W + s*dW, round to bf16), tensor by tensor.

usage: merge_numpy.py BASE_DIR ADAPTER_DIR OUT_DIR [SHARD]

With SHARD (a model-*.safetensors file of an HF base, as bench/scale.sh
uses), merge that one shard into OUT_DIR/SHARD (HF names, no q/k permute).
"""
import json
import math
import os
import re
import struct
import sys

import numpy as np


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return n, json.loads(f.read(n))


def load_adapter(d):
    cfg = json.load(open(os.path.join(d, "adapter_config.json")))
    scale = cfg["lora_alpha"] / (math.sqrt(cfg["r"]) if cfg.get("use_rslora") else cfg["r"])
    n, h = header(os.path.join(d, "adapter_model.safetensors"))
    data = np.memmap(os.path.join(d, "adapter_model.safetensors"), dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in h.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = bf16(np.frombuffer(data[b:e], dtype=np.uint16).reshape(info["shape"]))
    return scale, out


def bf16(u16):
    return (u16.astype(np.uint32) << 16).view(np.float32)


def to_bf16(f32):
    bits = f32.view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


HF = {"wq": "self_attn.q_proj", "wk": "self_attn.k_proj", "wv": "self_attn.v_proj", "wo": "self_attn.o_proj",
      "w1": "mlp.gate_proj", "w2": "mlp.down_proj", "w3": "mlp.up_proj"}


def lora_names(native):
    m = re.fullmatch(r"model\.layers\.(\d+)\.((?:self_attn|mlp)\.\w+_proj)\.weight", native)
    if m:
        pre = "base_model.model.model.layers.%s.%s" % (m.group(1), m.group(2))
        return pre + ".lora_A.weight", pre + ".lora_B.weight", "hf"
    m = re.fullmatch(r"layers\.(\d+)\.(attention|feed_forward)\.(w\w)\.weight", native)
    if not m:
        return None
    pre = "base_model.model.model.layers.%s.%s" % (m.group(1), HF[m.group(3)])
    return pre + ".lora_A.weight", pre + ".lora_B.weight", m.group(3)


def permute_to_native(b, heads):
    rows, cols = b.shape
    hd = rows // heads
    return b.reshape(heads, 2, hd // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def main():
    base, adapter, out = sys.argv[1:4]
    shard = sys.argv[4] if len(sys.argv) > 4 else "consolidated.safetensors"
    params = json.load(open(os.path.join(base, "params.json"))) if shard == "consolidated.safetensors" else {}
    scale, lora = load_adapter(adapter)
    src = os.path.join(base, shard)
    n, h = header(src)
    data = np.memmap(src, dtype=np.uint8, mode="r", offset=8 + n)
    os.makedirs(out, exist_ok=True)
    with open(src, "rb") as f:
        head = f.read(8 + n)
    with open(os.path.join(out, shard), "wb") as o:
        o.write(head)
        for name, info in sorted(((k, v) for k, v in h.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
            b, e = info["data_offsets"]
            raw = data[b:e]
            names = lora_names(name)
            if names is None or names[0] not in lora:
                o.write(raw.tobytes())
                continue
            a, bm, kind = lora[names[0]], lora[names[1]], names[2]
            if kind in ("wq", "wk"):
                bm = permute_to_native(bm, params["n_heads"] if kind == "wq" else params["n_kv_heads"])
            w = bf16(np.frombuffer(raw, dtype=np.uint16).reshape(info["shape"]))
            o.write(to_bf16(w + np.float32(scale) * (bm @ a)).tobytes())


if __name__ == "__main__":
    main()
