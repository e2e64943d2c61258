#!/usr/bin/python3
"""PyTorch reference timing of SparseGPT 2:4 (the paper's Algorithm 1) on given layer shapes.

Reads a JSON list of {"rows", "cols"} on argv[1], the calibration token count on argv[2] and
optionally the thread count on argv[3] (default: every CPU, as Twinforge's kernels use; Debian's
PyTorch otherwise starts with one OpenMP thread);
for each shape: random W [rows, cols] and X [tokens, cols], H = 2/n XᵀX, then the blocked
OBS sweep (block 128, damping 1% of mean diag H) with 2:4 mask selection. Prints one JSON line
per shape: {"rows", "cols", "hessianMs", "solveMs"}. Used by `twinforge bench llm` for the
ratio against Twinforge's native solver on the same shapes, measured in the same run.
"""
import json
import os
import sys
import time

import torch


def sparsegpt_24(W, H, block=128, percdamp=0.01):
    W = W.clone()
    cols = W.shape[1]
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    H += percdamp * torch.mean(torch.diag(H)) * torch.eye(cols)
    # Upper Cholesky factor of H^-1: row i holds the OBS update for column i given the later ones.
    U = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    for b0 in range(0, cols, block):
        b1 = min(b0 + block, cols)
        Wb = W[:, b0:b1].clone()
        Ub = U[b0:b1, b0:b1]
        err = torch.zeros_like(Wb)
        prune = torch.zeros_like(Wb, dtype=torch.bool)
        for i in range(b1 - b0):
            if i % 4 == 0:
                score = Wb[:, i:i + 4] ** 2 / torch.diag(Ub)[i:i + 4] ** 2
                prune.scatter_(1, i + torch.topk(score, 2, dim=1, largest=False).indices, True)
            w = Wb[:, i]
            q = torch.where(prune[:, i], torch.zeros_like(w), w)
            e = (w - q) / Ub[i, i]
            Wb[:, i:] -= e.unsqueeze(1) * Ub[i, i:].unsqueeze(0)
            Wb[:, i] = q
            err[:, i] = e
        W[:, b0:b1] = Wb
        W[:, b1:] -= err @ U[b0:b1, b1:]
    return W


def main():
    shapes = json.loads(sys.argv[1])
    tokens = int(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count() or 1)
    torch.manual_seed(0)
    for s in shapes:
        rows, cols = s['rows'], s['cols']
        W = torch.randn(rows, cols)
        X = torch.randn(tokens, cols)
        t0 = time.perf_counter()
        H = (2.0 / tokens) * (X.T @ X)
        t1 = time.perf_counter()
        sparsegpt_24(W, H)
        t2 = time.perf_counter()
        print(json.dumps({'rows': rows, 'cols': cols, 'hessianMs': (t1 - t0) * 1e3, 'solveMs': (t2 - t1) * 1e3}), flush=True)


if __name__ == '__main__':
    main()
