#!/usr/bin/env python3
"""Export a family of small, real PyTorch models to ONNX with torch.onnx.export.

Why: the engine must be tested on graphs it did not build itself. These files come
from the real PyTorch exporter (BatchNorm folded into Conv, Shape/Gather/Reshape
chains, opset-specific op forms), so they exercise the readers, shape inference,
structured pruning and runtime on what users actually bring.

Run:  /usr/bin/python3 scripts/export-torch-fixtures.py [outdir]
Weights are random but seeded (no downloads); widths and resolutions are shrunk so the
whole family stays a few MB. Writes <outdir>/*.onnx and <outdir>/models.json.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import onnx

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "torch")


# ---------------------------------------------------------------- models

class BasicBlock(nn.Module):
    """ResNet BasicBlock: conv-bn-relu-conv-bn + identity (or 1x1 downsample) shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.down is None else self.down(x)
        return F.relu(y + s)


class TinyResNet(nn.Module):
    """ResNet-18 layout (stem, 4 stages x 2 BasicBlocks, GAP, FC) at reduced widths."""

    def __init__(self, widths=(8, 16, 24, 32), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers += [BasicBlock(cin, w, stride), BasicBlock(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class GPTBlock(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)
        self.heads = heads
        self.d = d

    def forward(self, x, mask):
        # Head sizes are Python ints (as in Hugging Face GPT-2), so the exporter writes them as
        # constants in the Reshape shapes; only batch and sequence come from Shape.
        b, t = x.shape[0], x.shape[1]
        d = self.d
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(self.d, dim=2)
        q = q.reshape(b, t, h, d // h).transpose(1, 2)
        k = k.reshape(b, t, h, d // h).transpose(1, 2)
        v = v.reshape(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // h)
        att = att + mask  # additive causal mask [t, t]: 0 or -inf-like
        att = att.softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGPT(nn.Module):
    """Decoder-only LM: token + position embeddings, pre-LN blocks, tied-free LM head."""

    def __init__(self, vocab=256, d=64, heads=4, layers=2, ff=128, ctx=64):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([GPTBlock(d, heads, ff) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids, mask):
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device).unsqueeze(0)
        x = self.tok(ids) + self.pos(pos)
        for blk in self.blocks:
            x = blk(x, mask)
        return self.head(self.ln(x))


class TinyEncoder(nn.Module):
    """Token embeddings + nn.TransformerEncoder with a key-padding mask, then a classifier."""

    def __init__(self, vocab=512, d=64, heads=4, layers=2, ff=128, classes=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.cls = nn.Linear(d, classes)

    def forward(self, ids, attention_mask):
        # attention_mask: 1 = real token, 0 = padding (HF convention)
        x = self.enc(self.emb(ids), src_key_padding_mask=attention_mask == 0)
        return self.cls(x[:, 0])


class BertLayer(nn.Module):
    """BERT-style encoder layer: separate q/k/v Linear, heads by view(b, t, h, hd), additive mask."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d)
        self.h = heads
        self.hd = d // heads

    def split(self, x):
        b, t = x.shape[0], x.shape[1]
        return x.view(b, t, self.h, self.hd).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        b, t = x.shape[0], x.shape[1]
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + bias
        y = (att.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(b, t, self.h * self.hd)
        x = self.ln1(x + self.o(y))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


class BertEncoder(nn.Module):
    """HF-BERT-shaped encoder: token + position embeddings, attention_mask -> additive bias."""

    def __init__(self, vocab=128, d=64, heads=4, layers=2, ff=256, ctx=32, classes=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.layers = nn.ModuleList([BertLayer(d, heads, ff) for _ in range(layers)])
        self.cls = nn.Linear(d, classes)

    def forward(self, ids, attention_mask):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(t).unsqueeze(0))
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(x[:, 0])


class Recurrent(nn.Module):
    """2-layer LSTM or GRU with explicit state inputs [num_layers, batch, hidden]."""

    def __init__(self, kind, feat=20, hidden=32, layers=2, out=8):
        super().__init__()
        self.kind = kind
        rnn = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = rnn(feat, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, out)

    def forward(self, x, h0, c0=None):
        if self.kind == "lstm":
            y, (h, c) = self.rnn(x, (h0, c0))
            return self.fc(y), h, c
        y, h = self.rnn(x, h0)
        return self.fc(y), h


class MLP(nn.Module):
    def __init__(self, din=64, hidden=128, out=10):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(din, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, out))

    def forward(self, x):
        return self.net(x)


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, classes)

    def forward(self, x):
        x = self.f(x).flatten(1)  # Flatten into Gemm: channel-major flatten of [32,7,7]
        return self.fc2(F.relu(self.fc1(x)))


class DenseLayer(nn.Module):
    """DenseNet layer: BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 on the concatenation of all earlier maps."""

    def __init__(self, cin, growth):
        super().__init__()
        self.f = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, 2 * growth, 1, bias=False),
                               nn.BatchNorm2d(2 * growth), nn.ReLU(), nn.Conv2d(2 * growth, growth, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.f(x)], 1)


class TinyDenseNet(nn.Module):
    """Two dense blocks (growth 8) with a transition: Concat offsets, BatchNorm over concatenations."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        b1 = [DenseLayer(16 + 8 * i, 8) for i in range(3)]
        self.block1 = nn.Sequential(*b1)
        self.trans = nn.Sequential(nn.BatchNorm2d(40), nn.ReLU(), nn.Conv2d(40, 24, 1, bias=False), nn.AvgPool2d(2))
        self.block2 = nn.Sequential(*[DenseLayer(24 + 8 * i, 8) for i in range(3)])
        self.norm = nn.BatchNorm2d(48)
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        x = self.block2(self.trans(self.block1(self.stem(x))))
        x = F.relu(self.norm(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def mobilenet_v3_small():
    from torchvision.models import mobilenet_v3_small as mnv3
    # width_mult shrinks every channel count (rounded to multiples of 8)
    return mnv3(weights=None, width_mult=0.25, num_classes=10)


# ---------------------------------------------------------------- export

def randomize_bn(model):
    """Give BatchNorm non-trivial running stats so folding changes the conv weights, and jitter
    every parameter: like a trained model, no two tensors are equal (nn.TransformerEncoder deep-
    copies its layer, LayerNorm starts at ones/zeros; the exporter would otherwise dedup them
    into shared initializers behind Identity nodes, which real checkpoints rarely show)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def spec(name, shape, dyn):
    """One input/output record; dyn maps dim index -> symbolic name."""
    return {"name": name, "shape": [dyn.get(i, s) if i in dyn else s for i, s in enumerate(shape)],
            "dynamic": {str(i): v for i, v in dyn.items()}}


def export(entry, model, args, in_names, out_names, dyn_axes, opset, fold=True):
    model.eval()
    path = os.path.join(OUT, entry["file"])
    # Grad stays enabled: under no_grad, eval nn.TransformerEncoderLayer takes its fused
    # fast path (aten::_transformer_encoder_layer_fwd), which the exporter cannot export.
    torch.onnx.export(model, args, path, opset_version=opset, input_names=in_names,
                      output_names=out_names, dynamic_axes=dyn_axes, do_constant_folding=fold)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    params = sum(int(torch.tensor(list(i.dims)).prod().item()) if i.dims else 1 for i in m.graph.initializer)
    entry.update({
        "opset": opset,
        "producer": f"pytorch {torch.__version__}",
        "inputs": [spec(n, tuple(a.shape), dyn_axes.get(n, {})) for n, a in zip(in_names, args)],
        "outputs": out_names,
        "ops": ops,
        "params": params,
        "bytes": os.path.getsize(path),
        "constant_folding": fold,
    })
    return entry


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []

    def add(entry, build, args, in_names, out_names, dyn_axes, opset):
        torch.manual_seed(entry.get("seed", 0))
        model = build()
        randomize_bn(model)
        manifest.append(export(entry, model, args, in_names, out_names, dyn_axes, opset))
        print(f"{entry['file']}: opset {opset}, {manifest[-1]['params']} params, {manifest[-1]['bytes']} bytes")

    img = torch.randn(1, 3, 32, 32)
    for opset in (11, 13):
        add({"file": f"resnet_tiny_op{opset}.onnx", "architecture": "ResNet-18 layout, widths 8/16/24/32, 10 classes",
             "exercises": ["residual Add coupling (BasicBlock identity and 1x1 downsample shortcut)",
                           "BatchNorm folded into Conv by the exporter (do_constant_folding)",
                           "GlobalAveragePool -> Flatten -> Gemm", "dynamic batch and dynamic H/W"]},
            TinyResNet, (img,), ["input"], ["logits"], {"input": {0: "batch", 2: "height", 3: "width"},
                                                         "logits": {0: "batch"}}, opset)

    add({"file": "densenet_tiny_op13.onnx", "architecture": "DenseNet layout, 2 dense blocks of 3 layers, growth 8, transition 40->24",
         "exercises": ["Concat of every earlier feature map (offsets)", "BatchNorm over a concatenated tensor (pre-activation)",
                       "AveragePool transition", "dynamic batch and H/W"]},
        TinyDenseNet, (torch.randn(1, 3, 32, 32),), ["input"], ["logits"],
        {"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}}, 13)

    img = torch.randn(1, 3, 64, 64)
    for opset in (9, 13):
        add({"file": f"mobilenetv3_small_op{opset}.onnx",
             "architecture": "torchvision mobilenet_v3_small, width_mult 0.25, 10 classes",
             "exercises": ["depthwise Conv (group == channels)",
                           "squeeze-excitation: GlobalAveragePool -> Conv 1x1 -> ReLU -> Conv 1x1 -> HardSigmoid -> Mul",
                           "hardswish (HardSigmoid+Mul decomposition at opset 9; HardSwish op needs opset 14)",
                           "residual Add in inverted residual blocks",
                           "old opset 9 op forms (Upsample-free, Flatten/Gemm classifier)" if opset == 9 else "opset 13",
                           "dynamic batch and dynamic H/W"]},
            mobilenet_v3_small, (img,), ["input"], ["logits"],
            {"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}}, opset)

    ids = torch.randint(0, 512, (2, 16))
    am = torch.ones(2, 16, dtype=torch.int64)
    am[1, 10:] = 0
    add({"file": "transformer_encoder_op14.onnx",
         "architecture": "nn.TransformerEncoder, 2 layers, d_model 64, 4 heads, ff 128, vocab 512, [CLS] classifier",
         "exercises": ["multi-head attention as exported by nn.MultiheadAttention (packed in_proj, head Reshape)",
                       "attention_mask input (1 = token, 0 = padding) turned into a key-padding mask",
                       "LayerNorm, MLP neurons (ff)", "dynamic batch and sequence"]},
        TinyEncoder, (ids, am), ["input_ids", "attention_mask"], ["logits"],
        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
         "logits": {0: "batch"}}, 14)

    add({"file": "bert_encoder_op13.onnx",
         "architecture": "BERT-style encoder, 2 layers, d 64, 4 heads (separate q/k/v Linear), ff 256, vocab 128, context 32",
         "exercises": ["attention heads by view(b, t, 4, 16) with the head count as a Reshape constant",
                       "head merge reshape(b, t, 64)", "attention_mask -> additive bias [b,1,1,t]",
                       "residual + LayerNorm (post-LN)", "MLP neurons (fc1 -> GELU -> fc2)", "dynamic batch and sequence"]},
        BertEncoder, (ids % 128, am), ["input_ids", "attention_mask"], ["logits"],
        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
         "logits": {0: "batch"}}, 13)

    ids = torch.randint(0, 256, (1, 16))
    causal = torch.triu(torch.full((16, 16), -1e4), diagonal=1)
    for opset in (13, 17):
        add({"file": f"gpt_tiny_op{opset}.onnx",
             "architecture": "decoder-only GPT, 2 blocks, d 64, 4 heads, ff 128, vocab 256, context 64",
             "exercises": ["token + position Embedding (Gather)", "fused qkv Linear split into Q/K/V",
                           "head Reshape [b, t, 4, 16] + Transpose", "additive causal mask input [seq, seq]",
                           "LayerNorm (opset 17 exports the LayerNormalization op)" if opset == 17
                           else "LayerNorm decomposed (ReduceMean/Sub/Pow/Sqrt/Div)",
                           "GELU", "dynamic batch and sequence"]},
            TinyGPT, (ids, causal), ["input_ids", "causal_mask"], ["logits"],
            {"input_ids": {0: "batch", 1: "sequence"}, "causal_mask": {0: "sequence", 1: "sequence_k"},
             "logits": {0: "batch", 1: "sequence"}}, opset)

    x = torch.randn(3, 10, 20)
    h = torch.zeros(2, 3, 32)
    add({"file": "lstm_op11.onnx", "architecture": "2-layer LSTM, 20 features, hidden 32, Linear head 8",
         "exercises": ["LSTM op with state inputs h0/c0 [num_layers=2, batch, hidden]: dim 0 is NOT the batch",
                       "batch_first input [batch, time, feat] with dynamic batch and time"]},
        lambda: Recurrent("lstm"), (x, h, h.clone()), ["x", "h0", "c0"], ["y", "hn", "cn"],
        {"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "c0": {1: "batch"},
         "y": {0: "batch", 1: "time"}, "hn": {1: "batch"}, "cn": {1: "batch"}}, 11)
    add({"file": "gru_op13.onnx", "architecture": "2-layer GRU, 20 features, hidden 32, Linear head 8",
         "exercises": ["GRU op with state input h0 [num_layers=2, batch, hidden]: dim 0 is NOT the batch",
                       "batch_first input with dynamic batch and time"]},
        lambda: Recurrent("gru"), (x, h), ["x", "h0"], ["y", "hn"],
        {"x": {0: "batch", 1: "time"}, "h0": {1: "batch"}, "y": {0: "batch", 1: "time"}, "hn": {1: "batch"}}, 13)

    add({"file": "mlp_batch2_op9.onnx", "architecture": "MLP 64-128-128-10",
         "exercises": ["fixed batch of 2 (no dynamic axes)", "Gemm chain at old opset 9", "neuron pruning"]},
        MLP, (torch.randn(2, 64),), ["x"], ["y"], {}, 9)
    add({"file": "cnn_batch16_op17.onnx", "architecture": "2-conv CNN on 1x28x28, Flatten -> Gemm 1568-64-10",
         "exercises": ["fixed batch of 16 (no dynamic axes)", "Flatten of [32,7,7] into Gemm (channel -> 49 features)",
                       "BatchNorm folded", "MaxPool", "new opset 17"]},
        SmallCNN, (torch.randn(16, 1, 28, 28),), ["image"], ["logits"], {}, 17)

    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump({"generator": "scripts/export-torch-fixtures.py", "torch": torch.__version__,
                   "models": manifest}, f, indent=2)
        f.write("\n")
    print(f"total {sum(m['bytes'] for m in manifest)} bytes in {len(manifest)} files")


if __name__ == "__main__":
    main()
