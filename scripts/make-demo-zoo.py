#!/usr/bin/python3
"""Builds the demo zoo in resources/demo-zoo/: a population of small digit classifiers.

The data are 8x8 renderings of the digits 0-9 from a 3x5 pixel font, randomly shifted, with
random stroke strength, blur and noise. Two subgroups differ in noise (clean / noisy), so a
twin can lose accuracy unevenly across them. The population is 14 models: 8 MLPs (hidden width
16..96) and 6 CNNs (4..16 channels), each with its own seed and a short, varied training budget,
so their accuracies spread and population statistics have something to show.

Run with Debian's python3 (torch + numpy), from the repository root:

    /usr/bin/python3 scripts/make-demo-zoo.py

Output (committed; CI never runs this): models/*.onnx, data/calib.npz (x), data/eval.npz
(x, labels, subgroups), manifest.json. Deterministic for a given torch/numpy build.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'demo-zoo')
SIDE = 8
CLASSES = 10

# 3x5 font for the digits 0-9 (rows top to bottom, '#' = ink).
FONT = [
    ['###', '#.#', '#.#', '#.#', '###'],
    ['.#.', '##.', '.#.', '.#.', '###'],
    ['###', '..#', '###', '#..', '###'],
    ['###', '..#', '.##', '..#', '###'],
    ['#.#', '#.#', '###', '..#', '..#'],
    ['###', '#..', '###', '..#', '###'],
    ['###', '#..', '###', '#.#', '###'],
    ['###', '..#', '.#.', '.#.', '.#.'],
    ['###', '#.#', '###', '#.#', '###'],
    ['###', '#.#', '###', '..#', '###'],
]


def glyph(d):
    return np.array([[1.0 if ch == '#' else 0.0 for ch in row] for row in FONT[d]], dtype=np.float32)


def render(rng, n):
    """n samples: images (n, 1, 8, 8) float32, labels (n,) int64, subgroups (n,) int64."""
    x = np.zeros((n, 1, SIDE, SIDE), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=n)
    g = rng.integers(0, 2, size=n)  # 0 clean, 1 noisy
    for i in range(n):
        img = np.zeros((SIDE, SIDE), dtype=np.float32)
        # the glyph is 5 rows x 3 cols; scale width to 2x for some samples (font "weight")
        gl = glyph(y[i])
        if rng.random() < 0.5:
            gl = np.repeat(gl, 2, axis=1)[:, :5]
        h, w = gl.shape
        r0 = rng.integers(0, SIDE - h + 1)
        c0 = rng.integers(0, SIDE - w + 1)
        img[r0:r0 + h, c0:c0 + w] = gl * rng.uniform(0.6, 1.0)
        # a little blur: average with shifted copies
        blur = rng.uniform(0.0, 0.3)
        img = (1 - blur) * img + blur * 0.25 * (np.roll(img, 1, 0) + np.roll(img, -1, 0) + np.roll(img, 1, 1) + np.roll(img, -1, 1))
        sigma = 0.06 if g[i] == 0 else 0.2
        img = img + rng.normal(0, sigma, size=img.shape).astype(np.float32)
        # random dropout of ink pixels on noisy samples
        if g[i] == 1:
            img = img * (rng.random(img.shape) > 0.05)
        x[i, 0] = img
    return x, y.astype(np.int64), g.astype(np.int64)


class Mlp(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, CLASSES))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ch, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(ch, 2 * ch, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * ch * 2 * 2, 32), nn.ReLU(), nn.Linear(32, CLASSES),
        )

    def forward(self, x):
        return self.net(x)


# (name, kind, width/channels, seed, epochs): varied budgets spread the accuracies.
POPULATION = [
    ('mlp-w16-s1', 'mlp', 16, 1, 8),
    ('mlp-w16-s2', 'mlp', 16, 2, 16),
    ('mlp-w32-s1', 'mlp', 32, 1, 4),
    ('mlp-w32-s2', 'mlp', 32, 2, 12),
    ('mlp-w64-s1', 'mlp', 64, 1, 8),
    ('mlp-w64-s2', 'mlp', 64, 2, 20),
    ('mlp-w96-s1', 'mlp', 96, 1, 4),
    ('mlp-w96-s2', 'mlp', 96, 2, 16),
    ('cnn-c4-s1', 'cnn', 4, 1, 8),
    ('cnn-c4-s2', 'cnn', 4, 2, 20),
    ('cnn-c8-s1', 'cnn', 8, 1, 4),
    ('cnn-c8-s2', 'cnn', 8, 2, 12),
    ('cnn-c16-s1', 'cnn', 16, 1, 8),
    ('cnn-c16-s2', 'cnn', 16, 2, 16),
]


def train(model, x, y, epochs, seed):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    n = len(x)
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model


def accuracy(model, x, y):
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    torch.set_num_threads(1)
    os.makedirs(os.path.join(ROOT, 'models'), exist_ok=True)
    os.makedirs(os.path.join(ROOT, 'data'), exist_ok=True)
    rng = np.random.default_rng(20240601)
    x_train, y_train, _ = render(rng, 6000)
    x_cal, _, _ = render(rng, 128)
    x_eval, y_eval, g_eval = render(rng, 600)
    np.savez(os.path.join(ROOT, 'data', 'calib.npz'), x=x_cal)
    np.savez(os.path.join(ROOT, 'data', 'eval.npz'), x=x_eval, labels=y_eval, subgroups=g_eval)

    entries = []
    for name, kind, size, seed, epochs in POPULATION:
        torch.manual_seed(seed * 1000 + size)
        model = Mlp(size) if kind == 'mlp' else Cnn(size)
        # each member sees its own slice of the training set: a population, not clones
        sub = np.random.default_rng(seed * 7919 + size).choice(len(x_train), size=4000, replace=False)
        train(model, x_train[sub], y_train[sub], epochs, seed)
        model.eval()
        path = os.path.join(ROOT, 'models', f'{name}.onnx')
        torch.onnx.export(
            model, torch.zeros(1, 1, SIDE, SIDE), path,
            input_names=['x'], output_names=['logits'],
            dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}},
            opset_version=13, do_constant_folding=True,
        )
        acc = accuracy(model, x_eval, y_eval)
        acc_by_group = [accuracy(model, x_eval[g_eval == k], y_eval[g_eval == k]) for k in (0, 1)]
        params = sum(p.numel() for p in model.parameters())
        entries.append({'file': f'models/{name}.onnx', 'kind': kind, 'size': size, 'seed': seed, 'epochs': epochs, 'parameters': params,
                        'accuracy': round(acc, 4), 'accuracyBySubgroup': {'clean': round(acc_by_group[0], 4), 'noisy': round(acc_by_group[1], 4)},
                        'sha256': sha256(path)})
        print(f'{name:12s} params {params:6d}  acc {acc:.3f}  clean {acc_by_group[0]:.3f}  noisy {acc_by_group[1]:.3f}', file=sys.stderr)

    manifest = {
        'name': 'demo-digits',
        'task': 'classification',
        'input': {'name': 'x', 'shape': [1, 1, SIDE, SIDE], 'dtype': 'float32'},
        'classes': CLASSES,
        'data': {
            'calibration': {'file': 'data/calib.npz', 'samples': len(x_cal)},
            'evaluation': {'file': 'data/eval.npz', 'samples': len(x_eval), 'labels': 'labels', 'subgroups': {'key': 'subgroups', 'names': ['clean', 'noisy']}},
        },
        'generator': {'script': 'scripts/make-demo-zoo.py', 'torch': torch.__version__, 'numpy': np.__version__},
        'models': entries,
    }
    with open(os.path.join(ROOT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
