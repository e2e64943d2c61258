#!/usr/bin/env python3
"""PyTorch side of the GPU comparison: the same compression ops as twinforge_bench's gpu suite,
on the same sizes, timed with CUDA events (median), printed as one JSON object.

fp32 weights throughout (our kernels are fp32); TF32 stays off so the matrix products are
the same arithmetic as ours. Run by native/gpu/run.sh; prints {"skipped": why} without a GPU.
"""
import json
import sys
import time


def main():
    out = {"results": []}
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"skipped": f"no torch: {e}"}))
        return
    smoke = "--cpu-smoke" in sys.argv  # tiny sizes on the CPU: checks this script, not speed
    if not smoke and not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch sees no CUDA device"}))
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cpu" if smoke else "cuda")
    out["torch"] = torch.__version__
    out["device"] = "cpu (smoke)" if smoke else torch.cuda.get_device_name(0)
    quick = "--quick" in sys.argv or smoke

    def timed(fn, reps=10, warmup=2):
        if smoke:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        ts = []
        for _ in range(reps):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            ts.append(a.elapsed_time(b))
        ts.sort()
        return ts[len(ts) // 2] / 1e3

    def add(kernel, params, nbytes, seconds, flops=None, note=""):
        r = {"kernel": kernel, "params": params, "bytes": nbytes, "seconds": seconds,
             "GBps": nbytes / seconds / 1e9 if seconds > 0 and nbytes else None, "note": note}
        if flops:
            r["gflops"] = flops / seconds / 1e9
        out["results"].append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)

    def section(name, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            out["results"].append({"kernel": name, "error": repr(e)[:300]})
            print(name, "failed:", repr(e)[:300], file=sys.stderr, flush=True)
        if not smoke:
            torch.cuda.empty_cache()

    n = (1 << 16) if smoke else (1 << 24) if quick else (1 << 28)
    side = 256 if smoke else 4096 if quick else 16384
    g = torch.Generator(device=dev).manual_seed(1)
    w = torch.randn(n, device=dev, generator=g)

    def copy():
        dst = torch.empty_like(w)
        s = timed(lambda: dst.copy_(w))
        add("copy_ (device to device)", f"{n * 4 >> 20} MiB", 8 * n, s)
        out["copyGBps"] = 8 * n / s / 1e9

    def threshold():
        for sp in (0.5, 0.9):
            k = max(1, int(sp * n))
            s = timed(lambda: torch.kthvalue(w.abs(), k).values, reps=5)
            add("global_threshold (abs + kthvalue)", f"n=2^{n.bit_length() - 1} sp={sp}", 4 * n, s)

    def masks():
        wm = w.view(side, side)
        def nm24():
            a = wm.abs().view(-1, 4)
            idx = a.topk(2, dim=1).indices
            m = torch.zeros_like(a, dtype=torch.bool).scatter_(1, idx, True)
            return m
        s = timed(nm24, reps=5)
        add("nm_mask 2:4 (topk + scatter)", f"{side}x{side}", 5 * n, s)
        mask = nm24().view(side, side)
        t = wm.clone()
        s = timed(lambda: t.mul_(mask), reps=10)
        add("apply_mask (mul_)", f"n=2^{n.bit_length() - 1}", 9 * n, s)

    def quant():
        wm = w.view(side, side)
        def q8():
            scale = wm.abs().amax(dim=1, keepdim=True) / 127
            scale = torch.where(scale > 0, scale, torch.ones_like(scale))
            return torch.clamp(torch.round(wm / scale), -127, 127).to(torch.int8), scale
        s = timed(q8, reps=10)
        add("quantize_int8 per-channel", f"axis0 {side}^2", 5 * n, s)
        def q4(group=128):
            x = wm.reshape(-1, group)
            amax = x.abs().amax(dim=1, keepdim=True)
            scale = torch.where(amax > 0, amax / 7, torch.ones_like(amax))
            q = (torch.clamp(torch.round(x / scale) + 8, 0, 15)).to(torch.uint8)
            packed = q[:, 0::2] | (q[:, 1::2] << 4)
            return packed, scale
        s = timed(q4, reps=10)
        add("quantize_int4 groups", f"g128 sym {side}^2", 4.5 * n + 5 * n / 128, s)

    def hessian():
        T, D = (256, 128) if smoke else ((4096 if quick else 16384), 4096)
        x = torch.randn(T, D, device=dev, generator=g)
        s = timed(lambda: x.t() @ x, reps=5)
        add("hessian XtX (fp32 matmul)", f"{T} tokens x {D}", 4 * T * D + 4 * D * D, s, flops=2.0 * T * D * D)
        S = 128 if smoke else 4096
        a = torch.randn(S, S, device=dev, generator=g)
        s = timed(lambda: a @ a, reps=5)
        add("sgemm fp32 (torch.mm, no TF32)", f"{S}^3", 3 * 4 * S * S, s, flops=2.0 * S ** 3)

    def sparsegpt_ref(W, H, sparsity, prunen=0, prunem=0, blocksize=128, percdamp=0.01):
        # The authors' reference (IST-DASLab/sparsegpt, fasterprune), transcribed.
        W = W.clone().float()
        H = H.clone()
        rows, columns = W.shape
        dead = torch.diag(H) == 0
        H[dead, dead] = 1
        W[:, dead] = 0
        Losses = torch.zeros(rows, device=W.device)
        damp = percdamp * torch.mean(torch.diag(H))
        diag = torch.arange(columns, device=W.device)
        H[diag, diag] += damp
        H = torch.linalg.cholesky(H)
        H = torch.cholesky_inverse(H)
        H = torch.linalg.cholesky(H, upper=True)
        Hinv = H
        for i1 in range(0, columns, blocksize):
            i2 = min(i1 + blocksize, columns)
            count = i2 - i1
            W1 = W[:, i1:i2].clone()
            Q1 = torch.zeros_like(W1)
            Err1 = torch.zeros_like(W1)
            Losses1 = torch.zeros_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]
            if prunen == 0:
                tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
                thresh = torch.sort(tmp.flatten())[0][int(tmp.numel() * sparsity)]
                mask1 = tmp <= thresh
            else:
                mask1 = torch.zeros_like(W1) == 1
            for i in range(count):
                w_ = W1[:, i]
                d = Hinv1[i, i]
                if prunen != 0 and i % prunem == 0:
                    tmp = W1[:, i:(i + prunem)] ** 2 / (torch.diag(Hinv1)[i:(i + prunem)].reshape((1, -1))) ** 2
                    mask1.scatter_(1, i + torch.topk(tmp, prunen, dim=1, largest=False)[1], True)
                q = w_.clone()
                q[mask1[:, i]] = 0
                Q1[:, i] = q
                Losses1[:, i] = (w_ - q) ** 2 / d ** 2
                err1 = (w_ - q) / d
                W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
                Err1[:, i] = err1
            W[:, i1:i2] = Q1
            Losses += torch.sum(Losses1, 1) / 2
            W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
        return W, Losses.sum().item()

    def sparsegpt():
        L, T = (256, 512) if smoke else (4096, (4096 if quick else 16384))
        x = torch.randn(T, L, device=dev, generator=g)
        H = 2.0 / T * (x.t() @ x)
        W = torch.randn(L, L, device=dev, generator=g)
        for name, kw in (("sparsegpt 50% layer (reference code)", {"sparsity": 0.5}),
                         ("sparsegpt 2:4 layer (reference code)", {"sparsity": 0.0, "prunen": 2, "prunem": 4})):
            res = {}
            def run():
                res["loss"] = sparsegpt_ref(W, H, **kw)[1]
            s = timed(run, reps=3, warmup=1)
            add(name, f"{L}x{L}, H of {T} tokens", 0, s, note=f"loss {res['loss']:.6g}")

    def sparse24():
        # Report, don't assume: torch's 2:4 semi-structured (cuSPARSELt) linear vs dense fp16.
        from torch.sparse import to_sparse_semi_structured
        for (m, n_, k) in ((16, 4096, 4096), (4096, 4096, 4096), (8192, 8192, 8192)):
            W = torch.randn(n_, k, device=dev, dtype=torch.float16, generator=g)
            mask = torch.tensor([1, 1, 0, 0], device=dev, dtype=torch.bool).tile(n_, k // 4)
            W = W * mask
            x = torch.randn(m, k, device=dev, dtype=torch.float16, generator=g)
            Ws = to_sparse_semi_structured(W)
            sd = timed(lambda: torch.nn.functional.linear(x, W), reps=10)
            ss = timed(lambda: torch.nn.functional.linear(x, Ws), reps=10)
            add("2:4 semi-structured linear fp16 (torch)", f"{m}x{k} . {k}x{n_}", 0, ss, flops=2.0 * m * n_ * k,
                note=f"dense fp16 {sd * 1e3:.3f} ms; speedup {sd / ss:.2f}x")

    for name, fn in (("copy", copy), ("threshold", threshold), ("masks", masks), ("quant", quant),
                     ("hessian", hessian), ("sparsegpt", sparsegpt), ("sparse24", sparse24)):
        t0 = time.time()
        section(name, fn)
        print(f"[torch] {name}: {time.time() - t0:.1f} s", file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
