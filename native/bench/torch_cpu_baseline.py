#!/usr/bin/env python3
"""PyTorch (CPU) side of `twinforge bench native`: the same compression ops on the same sizes
with the same thread count, timed with perf_counter (median), printed as one JSON object.
Usage: torch_cpu_baseline.py --n ELEMENTS --side ROWS --threads T [--sparsegpt COLS]
Prints {"skipped": why} when torch is missing."""
import json
import sys
import time


def arg(name, default):
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def main():
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"skipped": f"no torch: {e}"}))
        return
    n, threads = arg("--n", 1 << 24), arg("--threads", 2)
    side = arg("--side", 4096)
    sgpt = arg("--sparsegpt", 0)
    torch.set_num_threads(threads)
    out = {"torch": torch.__version__, "threads": threads, "results": []}
    g = torch.Generator().manual_seed(1)
    w = torch.randn(n, generator=g)
    rows, cols = n // side, side

    def timed(fn, reps=3):
        fn()
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        ts.sort()
        return ts[len(ts) // 2]

    def add(key, seconds, note=""):
        out["results"].append({"key": key, "seconds": seconds, "note": note})

    def section(key, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            out["results"].append({"key": key, "error": repr(e)[:200]})

    k = n // 2
    section("threshold", lambda: add("threshold", timed(lambda: torch.kthvalue(w.abs(), k).values)))
    t = torch.kthvalue(w.abs(), k).values
    section("mask", lambda: add("mask", timed(lambda: w.abs() >= t)))
    mask = w.abs() >= t
    wc = w.clone()
    section("apply", lambda: add("apply", timed(lambda: wc.mul_(mask))))

    def nm24():
        a = w.view(-1, 4).abs()
        idx = a.topk(2, dim=1).indices
        return torch.zeros_like(a, dtype=torch.bool).scatter_(1, idx, True)
    section("nm24", lambda: add("nm24", timed(nm24)))
    wm = w.view(rows, cols)

    def q8():
        s = wm.abs().amax(dim=1, keepdim=True) / 127
        return torch.clamp(torch.round(wm / s), -127, 127).to(torch.int8)
    section("q8", lambda: add("q8", timed(q8)))

    def q4():
        x = wm.reshape(-1, 128)
        s = x.abs().amax(dim=1, keepdim=True) / 7
        q = torch.clamp(torch.round(x / s) + 8, 0, 15).to(torch.uint8)
        return q[:, 0::2] | (q[:, 1::2] << 4)
    section("q4", lambda: add("q4", timed(q4)))

    if sgpt:
        def sparsegpt_ref(W, H, sparsity=0.5, blocksize=128, percdamp=0.01):
            W = W.clone()
            H = H.clone()
            columns = W.shape[1]
            damp = percdamp * torch.mean(torch.diag(H))
            H[range(columns), range(columns)] += damp
            H = torch.linalg.cholesky(H)
            H = torch.cholesky_inverse(H)
            Hinv = torch.linalg.cholesky(H, upper=True)
            for i1 in range(0, columns, blocksize):
                i2 = min(i1 + blocksize, columns)
                W1 = W[:, i1:i2].clone()
                Q1 = torch.zeros_like(W1)
                Err1 = torch.zeros_like(W1)
                Hinv1 = Hinv[i1:i2, i1:i2]
                tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
                thresh = torch.sort(tmp.flatten())[0][int(tmp.numel() * sparsity)]
                mask1 = tmp <= thresh
                for i in range(i2 - i1):
                    w_ = W1[:, i]
                    d = Hinv1[i, i]
                    q = w_.clone()
                    q[mask1[:, i]] = 0
                    Q1[:, i] = q
                    err1 = (w_ - q) / d
                    W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
                    Err1[:, i] = err1
                W[:, i1:i2] = Q1
                W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
            return W
        x = torch.randn(2048, sgpt, generator=g)
        H = 2.0 / 2048 * (x.t() @ x)
        W = torch.randn(sgpt, sgpt, generator=g)
        section("sparsegpt50", lambda: add("sparsegpt50", timed(lambda: sparsegpt_ref(W, H), reps=1), f"{sgpt}x{sgpt} reference code"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
