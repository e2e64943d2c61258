#!/usr/bin/env python3
"""Merges the gpu bench sections (sec_*.json) and the PyTorch baselines into bench.json and a
Markdown report (stdout): our kernels with GB/s, ratio to the device copy bandwidth, the check
against the CPU reference, and PyTorch's time on the same op with the speedup."""
import glob
import json
import re
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001
        return {"error": f"{path}: {e}"}


def main():
    sec_dir, torch_path, merged_path = sys.argv[1], sys.argv[2], sys.argv[3]
    ours, errors = [], []
    for p in sorted(glob.glob(os.path.join(sec_dir, "sec_*.json"))):
        d = load(p)
        if "results" in d:
            ours += [r for r in d["results"] if not (r["kernel"] == "(device)" and ours)]
        else:
            errors.append(f"{os.path.basename(p)}: no JSON (crash or timeout?) {d.get('error', '')}")
    torch = load(torch_path)
    with open(merged_path, "w") as f:
        json.dump({"results": ours, "errors": errors}, f, indent=1)

    # Which PyTorch row is the same op as ours.
    def key(kernel, params):
        k, p = kernel.lower(), params.lower()
        if k.startswith("global_threshold"):
            m = re.search(r"sp=([0-9.]+)", p)
            return "thr%g" % float(m.group(1)) if m else None
        if k.startswith("nm_mask") and "2:4" in (k + p) and "axis1" in p.replace(" ", "") or k.startswith("nm_mask 2:4"):
            return "nm24"
        if k.startswith("apply_mask"):
            return "apply"
        if k.startswith("quantize_int8") and "axis0" in p.replace(" ", ""):
            return "q8"
        if k.startswith("quantize_int4") and "g128" in p and " sym" in " " + p:
            return "q4"
        if k.startswith("hessian"):
            return "hess"
        if k.startswith("sgemm"):
            return "gemm"
        if k.startswith("sparsegpt 50% layer") and "host" not in k:
            return "sgpt50"
        if k.startswith("sparsegpt 2:4 layer") and "host" not in k:
            return "sgpt24"
        if k.startswith("copy"):
            return "copy"
        return None

    tmap = {}
    for r in torch.get("results", []):
        if "seconds" in r:
            kk = key(r["kernel"], r.get("params", ""))
            if kk and kk not in tmap:
                tmap[kk] = r
    dev = next((r for r in ours if r["kernel"] == "(device)"), None)
    print("# GPU results\n")
    if dev:
        print(f"Device: {dev.get('params', '')} ({dev.get('note', '')}); {dev.get('check', '')}\n")
    if "torch" in torch:
        print(f"PyTorch {torch['torch']} on {torch.get('device')}: copy {torch.get('copyGBps', 0):.0f} GB/s\n")
    elif "skipped" in torch:
        print(f"PyTorch baseline skipped: {torch['skipped']}\n")
    print("| kernel | params | time (ms) | GB/s | ratio to copy | GFLOP/s | check | PyTorch (ms) | speedup | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    fails = 0
    for r in ours:
        if r["kernel"] == "(device)":
            continue
        chk = r.get("check", "")
        fails += chk.startswith("FAIL")
        t = tmap.get(key(r["kernel"], r.get("params", "")) or "")
        tms = f"{t['seconds'] * 1e3:.3f}" if t else ""
        sp = f"{t['seconds'] / r['seconds']:.1f}x" if t and r.get("seconds") else ""
        ms = f"{r['seconds'] * 1e3:.3f}" if r.get("seconds") else ""
        gb = f"{r['GBps']:.0f}" if r.get("GBps") else ""
        ra = f"{r['ratioToCopy']:.2f}" if r.get("ratioToCopy") else ""
        gf = f"{r['gflops']:.0f}" if r.get("gflops") else ""
        print(f"| {r['kernel']} | {r.get('params', '')} | {ms} | {gb} | {ra} | {gf} | {chk} | {tms} | {sp} | {r.get('note', '')} |")
    print(f"\n{fails} failed check(s)")
    for e in errors:
        print(f"- {e}")
    if torch.get("results"):
        print("\n## PyTorch rows\n")
        print("| op | params | time (ms) | GB/s | GFLOP/s | note |")
        print("|---|---|---|---|---|---|")
        for r in torch["results"]:
            if "error" in r:
                print(f"| {r['kernel']} | | | | | error: {r['error']} |")
                continue
            gb = f"{r['GBps']:.0f}" if r.get("GBps") else ""
            gf = f"{r['gflops']:.0f}" if r.get("gflops") else ""
            print(f"| {r['kernel']} | {r['params']} | {r['seconds'] * 1e3:.3f} | {gb} | {gf} | {r.get('note', '')} |")


if __name__ == "__main__":
    main()
