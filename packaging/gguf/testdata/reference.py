"""Independent reference for llama.cpp's output on an exported GGUF.

Reads the SOURCE checkpoint (safetensors + params.json or config.json),
never the GGUF, and runs a float64 numpy forward pass of the dense Mistral
architecture. With "round": f16, bf16 or q8_0 the weights and every matmul input are
rounded to that type, as llama.cpp's CPU backend does (Q8_0: weights as
the quantizer writes them, activations as ggml-cpu quantizes them). Prints JSON: the
log-softmax of the next-token logits at every position and a greedy
continuation. Usage: reference.py DIR '{"tokens": [...], "round": "", "greedy": 8}'
"""
import json, os, re, struct, sys
import numpy as np

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        raw = data[b:e]
        if t["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif t["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2").astype(np.float32)
        else:
            a = np.frombuffer(raw, "<f4")
        out[name] = a.reshape(t["shape"]).astype(np.float64)
    return out

def q8_0(a, half_even):
    """ggml's Q8_0 round trip along the last axis: blocks of 32, scale
    amax/127 stored as fp16; weights round half away from zero (the file
    quantizer), activations half to even (ggml-cpu's quantize_row_q8_0)."""
    x = a.astype(np.float32).reshape(-1, 32)
    d = (np.abs(x).max(axis=1, keepdims=True) / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    v = (x * inv).astype(np.float32)
    q = np.rint(v) if half_even else np.trunc(v + np.copysign(np.float32(0.5), v))
    dq = q.astype(np.float64) * d.astype(np.float16).astype(np.float64)
    return dq.reshape(a.shape)

def round_to(a, kind, weight=False):
    if kind == "q8_0":
        return q8_0(a, not weight)
    if kind == "f16":
        return a.astype(np.float16).astype(np.float64)
    if kind == "bf16":
        u = a.astype(np.float32).view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
        return u.astype(np.uint32).view(np.float32).astype(np.float64)
    return a

def load(d):
    files = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
    w = {}
    for f in files:
        w.update(read_safetensors(os.path.join(d, f)))
    if os.path.exists(os.path.join(d, "params.json")):
        p = json.load(open(os.path.join(d, "params.json")))
        cfg = dict(dim=p["dim"], layers=p["n_layers"], heads=p["n_heads"], kv=p["n_kv_heads"],
                   hd=p["head_dim"], eps=p["norm_eps"], theta=p.get("rope_theta", 1e6))
        return cfg, w
    c = json.load(open(os.path.join(d, "config.json")))
    heads, kv = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"])
    hd = c.get("head_dim") or c["hidden_size"] // heads
    cfg = dict(dim=c["hidden_size"], layers=c["num_hidden_layers"], heads=heads, kv=kv, hd=hd,
               eps=c["rms_norm_eps"], theta=c.get("rope_theta", 1e6))
    # HF -> native names; q/k rows from rotate_half order back to interleaved pairs.
    def unpermute(a, n):
        return a.reshape(n, 2, a.shape[0] // n // 2, a.shape[1]).swapaxes(1, 2).reshape(a.shape)
    nw = {}
    for k, v in w.items():
        m = re.match(r"model\.layers\.(\d+)\.(.*)\.weight$", k)
        if k == "model.embed_tokens.weight": nw["tok_embeddings.weight"] = v
        elif k == "model.norm.weight": nw["norm.weight"] = v
        elif k == "lm_head.weight": nw["output.weight"] = v
        elif m:
            l, rest = m.groups()
            name = {"input_layernorm": "attention_norm", "post_attention_layernorm": "ffn_norm",
                    "self_attn.q_proj": "attention.wq", "self_attn.k_proj": "attention.wk",
                    "self_attn.v_proj": "attention.wv", "self_attn.o_proj": "attention.wo",
                    "mlp.gate_proj": "feed_forward.w1", "mlp.down_proj": "feed_forward.w2",
                    "mlp.up_proj": "feed_forward.w3"}[rest]
            if name == "attention.wq": v = unpermute(v, heads)
            if name == "attention.wk": v = unpermute(v, kv)
            nw[f"layers.{l}.{name}.weight"] = v
    return cfg, nw

def forward(cfg, w, tokens, rnd):
    def mm(x, W):  # x @ W.T with llama.cpp's activation rounding
        return round_to(x, rnd) @ W.T
    def norm(x, g):
        x32 = x.astype(np.float32)
        return (x32 / np.sqrt(np.mean(x32 * x32, axis=-1, keepdims=True) + np.float32(cfg["eps"]))).astype(np.float64) * g
    T, hd, H, KV = len(tokens), cfg["hd"], cfg["heads"], cfg["kv"]
    x = w["tok_embeddings.weight"][tokens]
    pos = np.arange(T)[:, None]
    inv = cfg["theta"] ** (-np.arange(0, hd, 2) / hd)
    ang = pos * inv[None, :]
    cos, sin = np.cos(ang), np.sin(ang)
    def rope(q):  # q: [T, n, hd], pairs (2i, 2i+1)
        a, b = q[..., 0::2], q[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        out = np.empty_like(q)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["layers"]):
        p = f"layers.{l}."
        h = norm(x, w[p + "attention_norm.weight"])
        q = rope(mm(h, w[p + "attention.wq.weight"]).reshape(T, H, hd))
        k = rope(mm(h, w[p + "attention.wk.weight"]).reshape(T, KV, hd))
        v = mm(h, w[p + "attention.wv.weight"]).reshape(T, KV, hd)
        rep = H // KV
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", s, v).reshape(T, H * hd)
        x = x + mm(o, w[p + "attention.wo.weight"])
        h = norm(x, w[p + "ffn_norm.weight"])
        g, u = mm(h, w[p + "feed_forward.w1.weight"]), mm(h, w[p + "feed_forward.w3.weight"])
        x = x + mm(g / (1 + np.exp(-g)) * u, w[p + "feed_forward.w2.weight"])
    x = norm(x, w["norm.weight"])
    out = w.get("output.weight", w["tok_embeddings.weight"])
    logits = mm(x, out)
    m = logits.max(-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))

def main():
    d, req = sys.argv[1], json.loads(sys.argv[2])
    cfg, w = load(d)
    rnd = req.get("round", "")
    for k in list(w):
        if w[k].ndim == 2 and rnd:
            w[k] = round_to(w[k], rnd, weight=True)
    lp = forward(cfg, w, req["tokens"], rnd)
    seq, greedy = list(req["tokens"]), []
    for _ in range(req.get("greedy", 8)):
        nxt = int(np.argmax(forward(cfg, w, seq, rnd)[-1]))
        greedy.append(nxt)
        seq.append(nxt)
    json.dump({"logprobs": lp.tolist(), "greedy": greedy}, sys.stdout)

main()
