# Reproduces the measured Hopper (H200) figures of resources/hardware/nvidia-hopper.json:
#   OUT=/tmp python3 resources/hardware/bench/hopper_torch.py   (on a machine with PyTorch + an H100/H200)
# Memory- and compute-bound points for the Hopper profile: dense bf16 vs fp8 (_scaled_mm),
# int8 (_int_mm) and 2:4 (to_sparse_semi_structured -> cuSPARSELt), y = x W^T, W [N, K].
import json, os, sys, time, traceback
import torch
import torch.nn.functional as F
out = os.environ.get('OUT', '.')
dev = 'cuda'
res = {'device': torch.cuda.get_device_name(), 'torch': torch.__version__, 'cuda': torch.version.cuda, 'rows': [], 'errors': []}

def bench(fn, iters=30, reps=5, warm=5):
    for _ in range(warm): fn()
    torch.cuda.synchronize()
    s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    ts = []
    for _ in range(reps):
        s.record()
        for _ in range(iters): fn()
        e.record(); torch.cuda.synchronize()
        ts.append(s.elapsed_time(e) / iters)
    ts.sort()
    return ts[len(ts) // 2]

def graph_bench(fn, iters=30):
    # kernel time without host launch/planning costs, when the call can be captured
    try:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3): fn()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for _ in range(iters): fn()
        return bench(lambda: g.replay(), iters=1, reps=7, warm=2) / iters
    except Exception as ex:
        return None

t0 = time.time()
for (N, K) in [(8192, 8192), (4096, 4096)]:
    W = torch.randn(N, K, device=dev, dtype=torch.bfloat16) * 0.02
    mask = torch.tensor([1, 1, 0, 0], device=dev, dtype=torch.bool).repeat(N, K // 4)
    try:
        from torch.sparse import to_sparse_semi_structured
        Ws = to_sparse_semi_structured(W * mask)
    except Exception as ex:
        Ws = None; res['errors'].append(f'2:4 setup {N}x{K}: {ex}')
    W8 = W.to(torch.float8_e4m3fn)
    one = torch.tensor(1.0, device=dev)
    Wi8 = (W * 100).round().clamp(-127, 127).to(torch.int8)
    for M in [1, 16, 128, 1024, 8192]:
        if time.time() - t0 > 200: break
        x = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
        row = {'M': M, 'N': N, 'K': K}
        def put(name, fn):
            try:
                row[name] = bench(fn)
                g = graph_bench(fn)
                if g is not None: row[name + '_graph'] = g
            except Exception as ex:
                res['errors'].append(f'{name} M={M} {N}x{K}: {str(ex).splitlines()[0][:200]}')
        put('dense_bf16', lambda: F.linear(x, W))
        if M % 16 == 0:
            x8 = x.to(torch.float8_e4m3fn)
            put('fp8', lambda: torch._scaled_mm(x8, W8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
        if M > 16:
            xi = (x * 10).round().clamp(-127, 127).to(torch.int8)
            put('int8', lambda: torch._int_mm(xi, Wi8.t()))
        if Ws is not None:
            put('sparse24_bf16', lambda: F.linear(x, Ws))
        res['rows'].append(row)
        print(json.dumps(row), flush=True)
    del W, Ws, W8, Wi8
    torch.cuda.empty_cache()
# copy bandwidth
a = torch.empty(2 * 1024**3, dtype=torch.uint8, device=dev); b = torch.empty_like(a)
ms = bench(lambda: b.copy_(a), iters=5)
res['copy_GBps_read_plus_write'] = 2 * a.numel() / (ms / 1e3) / 1e9
# launch overhead of a tiny op
t = torch.zeros(16, device=dev)
res['tiny_op_ms'] = bench(lambda: t.add_(1), iters=200)
json.dump(res, open(os.path.join(out, 'hopper.json'), 'w'), indent=1)
print('copy', res['copy_GBps_read_plus_write'], 'tiny', res['tiny_op_ms'], 'errors', res['errors'])
