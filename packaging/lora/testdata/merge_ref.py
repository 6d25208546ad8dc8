#!/usr/bin/python3
"""Independent numpy reference for ckpt's LoRA merge.

usage: merge_ref.py BASE_DIR OUT_DIR DTYPE ADAPTERS_JSON

ADAPTERS_JSON is a list of {"dir", "format" (peft|mistral-finetune),
"basis" (hf|native), "weight"}. The script reads the base and adapters with
its own safetensors reader, computes W + sum(w * s * B @ A) in float64 for
every tensor (B's q/k rows permuted with transformers' permute_for_rope when
the adapter's basis differs from the base's), rounds to DTYPE, and compares
with every tensor in OUT_DIR: merged tensors at most 1 ulp apart, untouched
ones bit-identical. Prints a JSON summary; exits 1 on any mismatch.
"""
import glob
import json
import math
import os
import re
import struct
import sys

import numpy as np

DT = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        raw = data[8 + n + b:8 + n + e]
        arr = np.frombuffer(raw, dtype=DT[info["dtype"]]).reshape(info["shape"])
        out[name] = (info["dtype"], arr)
    return out


def read_dir(d, pattern):
    out = {}
    for p in sorted(glob.glob(os.path.join(d, pattern))):
        out.update(read_safetensors(p))
    return out


def to_f64(dtype, arr):
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return arr.astype(np.float64)


def round_to(dtype, x):
    f32 = x.astype(np.float32)
    if dtype == "BF16":
        bits = f32.view(np.uint32).astype(np.uint64)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    if dtype == "F16":
        return f32.astype(np.float16)
    return f32


def ordered(dtype, arr):
    """Integers whose difference counts ulps."""
    if dtype == "F32":
        bits = arr.view(np.uint32).astype(np.int64)
        sign = 1 << 31
    else:
        bits = arr.view(np.uint16).astype(np.int64)
        sign = 1 << 15
    return np.where(bits & sign, -(bits & (sign - 1)), bits)


NATIVE_TO_HF = [
    (r"tok_embeddings", "model.embed_tokens"),
    (r"norm", "model.norm"),
    (r"output", "lm_head"),
    (r"layers\.(\d+)\.attention_norm", r"model.layers.\1.input_layernorm"),
    (r"layers\.(\d+)\.ffn_norm", r"model.layers.\1.post_attention_layernorm"),
    (r"layers\.(\d+)\.attention\.wq", r"model.layers.\1.self_attn.q_proj"),
    (r"layers\.(\d+)\.attention\.wk", r"model.layers.\1.self_attn.k_proj"),
    (r"layers\.(\d+)\.attention\.wv", r"model.layers.\1.self_attn.v_proj"),
    (r"layers\.(\d+)\.attention\.wo", r"model.layers.\1.self_attn.o_proj"),
    (r"layers\.(\d+)\.feed_forward\.w1", r"model.layers.\1.mlp.gate_proj"),
    (r"layers\.(\d+)\.feed_forward\.w2", r"model.layers.\1.mlp.down_proj"),
    (r"layers\.(\d+)\.feed_forward\.w3", r"model.layers.\1.mlp.up_proj"),
]


def native_to_hf(name):
    for pat, rep in NATIVE_TO_HF:
        if re.fullmatch(pat, name):
            return re.sub("^" + pat + "$", rep, name)
    raise KeyError(name)


def hf_to_native(name):
    for pat, rep in NATIVE_TO_HF:
        hf_pat = rep.replace(".", r"\.").replace(r"\1", r"(\d+)")
        m = re.fullmatch(hf_pat, name)
        if m:
            nat = pat.replace(r"\.", ".").replace(r"(\d+)", "{}")
            return nat.format(*m.groups())
    raise KeyError(name)


def base_info(base_dir):
    if os.path.exists(os.path.join(base_dir, "params.json")) and glob.glob(os.path.join(base_dir, "consolidated*.safetensors")):
        p = json.load(open(os.path.join(base_dir, "params.json")))
        return "native", p["n_heads"], p["n_kv_heads"], read_dir(base_dir, "consolidated*.safetensors")
    c = json.load(open(os.path.join(base_dir, "config.json")))
    return "hf", c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"]), read_dir(base_dir, "model*.safetensors")


def permute(b, heads, src_basis):
    rows, cols = b.shape
    hd = rows // heads
    if src_basis == "native":  # permute_for_rope: native -> hf
        return b.reshape(heads, hd // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)
    return b.reshape(heads, 2, hd // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def adapter_updates(ad, layout, n_heads, n_kv):
    """Yield (base tensor name, delta float64) for one adapter."""
    d = ad["dir"]
    if ad["format"] == "peft":
        cfg = json.load(open(os.path.join(d, "adapter_config.json")))
        r, alpha = cfg["r"], cfg["lora_alpha"]
        scale = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
        tensors = read_safetensors(os.path.join(d, "adapter_model.safetensors"))
        prefix, naming = "base_model.model.", "hf"
    else:
        p = json.load(open(os.path.join(d, "params.json")))
        scale = p["lora"]["scaling"]
        tensors = read_safetensors(os.path.join(d, "lora.safetensors"))
        prefix, naming = "", "native"
    basis = ad.get("basis") or naming
    for name in tensors:
        if not name.endswith(".lora_A.weight"):
            continue
        module = name[len(prefix):-len(".lora_A.weight")]
        a = to_f64(*tensors[name])
        b = to_f64(*tensors[name.replace("lora_A", "lora_B")])
        native = module if naming == "native" else hf_to_native(module)
        if basis != ("native" if layout == "native" else "hf"):
            if native.endswith("attention.wq"):
                b = permute(b, n_heads, basis)
            elif native.endswith("attention.wk"):
                b = permute(b, n_kv, basis)
        target = (native if layout == "native" else native_to_hf(native)) + ".weight"
        yield target, ad.get("weight", 1.0) * scale * (b @ a)


def main():
    base_dir, out_dir, dtype, adapters_json = sys.argv[1:5]
    out_dtype = {"bf16": "BF16", "fp16": "F16", "fp32": "F32"}[dtype]
    layout, n_heads, n_kv, base = base_info(base_dir)
    adapters = json.load(open(adapters_json))
    deltas = {}
    for ad in adapters:
        for target, delta in adapter_updates(ad, layout, n_heads, n_kv):
            deltas[target] = deltas.get(target, 0) + delta
    out = read_dir(out_dir, "*.safetensors")
    errors, max_ulp, merged = [], 0, 0
    if set(out) != set(base):
        errors.append("tensor sets differ: %s" % sorted(set(out) ^ set(base)))
    for name, (bdt, barr) in base.items():
        if name not in out:
            continue
        odt, oarr = out[name]
        if odt != out_dtype:
            errors.append("%s: dtype %s, want %s" % (name, odt, out_dtype))
            continue
        if name not in deltas:
            if bdt == odt and barr.tobytes() != oarr.tobytes():
                errors.append("%s: untouched tensor changed" % name)
            continue
        merged += 1
        want = round_to(out_dtype, to_f64(bdt, barr) + deltas[name])
        ulp = int(np.max(np.abs(ordered(out_dtype, want) - ordered(out_dtype, oarr))))
        max_ulp = max(max_ulp, ulp)
        if ulp > 1:
            errors.append("%s: %d ulp apart" % (name, ulp))
    missing = sorted(set(deltas) - set(base))
    if missing:
        errors.append("updates for tensors not in the base: %s" % missing)
    print(json.dumps({"tensors": len(out), "merged": merged, "max_ulp": max_ulp, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
