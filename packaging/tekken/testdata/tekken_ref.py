"""Reference tekken encoder for ckpt's tests: the pre-tokenizer pattern run
by Python's `regex` module (as tiktoken's fancy-regex runs it) and the
byte-pair merge of tiktoken's _educational.py. Reads
{"tekken": path, "texts": [...]} on stdin, writes a list of id lists."""
import base64
import json
import sys

import regex


def bpe(ranks, piece):
    if piece in ranks:
        return [ranks[piece]]
    parts = [bytes([b]) for b in piece]
    while True:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
    return [ranks[p] for p in parts]


def main():
    job = json.load(sys.stdin)
    with open(job["tekken"], encoding="utf-8") as f:
        tek = json.load(f)
    cfg = tek["config"]
    n_special = cfg["default_num_special_tokens"]
    inner = cfg["default_vocab_size"] - n_special
    ranks = {base64.b64decode(v["token_bytes"]): v["rank"] for v in tek["vocab"][:inner]}
    pat = regex.compile(cfg["pattern"])
    out = []
    for text in job["texts"]:
        ids = []
        for piece in pat.findall(text):
            ids.extend(r + n_special for r in bpe(ranks, piece.encode("utf-8")))
        out.append(ids)
    json.dump(out, sys.stdout)


main()
