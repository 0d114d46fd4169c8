#!/usr/bin/env python3
"""PyTorch eager reference for `cargo xtask bench` on CPU or CUDA (`--device cuda`; optional:
never needed to build or test).

Same networks (at the same width divisor: `--divisor`, the `cpu` figure scale's narrow
variants), batch sizes and step as the Rust benchmark: forward in train mode, cross-entropy,
backward, plain SGD update, in the default memory layout or `--layout channels_last`. Prints
one JSON line in the Rust `Measurement` format.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


MIN_SCALED_WIDTH = 2


def w(width, divisor):
    """`layca_models::scaled_width`: round(width / divisor), at least 2, at most width."""
    if divisor <= 1:
        return width
    return min(max((width + divisor // 2) // divisor, MIN_SCALED_WIDTH), width)


def bn(c, momentum=0.99):
    # Keras BN without affine parameters: epsilon 1e-3, momentum m (PyTorch: 1 - m).
    return nn.BatchNorm2d(c, eps=1e-3, momentum=1.0 - momentum, affine=False)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        # TF "same" for a stride-2 3x3 conv on an even input pads 0 before, 1 after.
        self.pad = nn.ZeroPad2d((0, 1, 0, 1)) if stride == 2 else nn.ZeroPad2d(1)
        self.a = nn.Conv2d(cin, cout, 3, stride, 0, bias=False)
        self.bna = bn(cout)
        self.b = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bnb = bn(cout)
        self.short = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if stride == 2 else None

    def forward(self, x):
        y = F.relu(self.bna(self.a(self.pad(x))))
        y = self.bnb(self.b(y))
        s = self.short(x) if self.short is not None else x
        return F.relu(s + y)


class ResNet(nn.Module):
    """Keras cifar10_resnet v1, depth 6n+2 (ResNet-32: n=5, ResNet-110: n=18)."""

    def __init__(self, depth, classes, d=1):
        super().__init__()
        n = (depth - 2) // 6
        widths = [w(c, d) for c in (16, 32, 64)]
        self.conv = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn = bn(widths[0])
        blocks, cin = [], widths[0]
        for stage, width in enumerate(widths):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.dense = nn.Linear(cin, classes, bias=False)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.dense(F.adaptive_avg_pool2d(h, 1).flatten(1))


class KerasVgg(nn.Module):
    """C10-CNN1 (6 convs x [32..256], 10 classes) and tiny-CNN (2 x [32..512], 200 classes):
    Conv -> ReLU -> BN, max-pool after every stage but the last, GAP, Dense."""

    def __init__(self, widths, per_stage, classes, momentum):
        super().__init__()
        layers, cin = [], 3
        for stage, width in enumerate(widths):
            for _ in range(per_stage):
                layers += [nn.Conv2d(cin, width, 3, 1, 1, bias=False), nn.ReLU(), bn(width, momentum)]
                cin = width
            if stage < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.dense = nn.Linear(cin, classes, bias=False)

    def forward(self, x):
        return self.dense(self.features(x).mean((2, 3)))


class C10Cnn2(nn.Module):
    """torch-blog VGG: [2,2,3,3,3] x [64..512], Conv -> BN -> ReLU, max-pool after each stage."""

    def __init__(self, d=1):
        super().__init__()
        layers, cin = [], 3
        for width, n in zip([w(c, d) for c in (64, 128, 256, 512, 512)], [2, 2, 3, 3, 3]):
            for _ in range(n):
                layers += [nn.Conv2d(cin, width, 3, 1, 1, bias=False), bn(width), nn.ReLU()]
                cin = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        hidden = w(512, d)
        self.d0 = nn.Linear(cin, hidden, bias=False)
        self.bn0 = nn.BatchNorm1d(hidden, eps=1e-3, momentum=0.01, affine=False)
        self.out = nn.Linear(hidden, 10, bias=False)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.out(F.relu(self.bn0(self.d0(h))))


class PreActBlock(nn.Module):
    """WRN block: BN -> ReLU -> conv1 (stride) -> BN -> ReLU -> dropout -> conv2, plus the
    identity or a 1x1 conv (stride) of the raw input."""

    def __init__(self, cin, cout, stride, project, rate):
        super().__init__()
        self.bn1 = bn(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = bn(cout)
        self.drop = nn.Dropout(rate)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.short = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if project else None

    def forward(self, x):
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(self.drop(F.relu(self.bn2(y))))
        return (self.short(x) if self.short is not None else x) + y


class Wrn(nn.Module):
    """WRN-(6N+4)-k, pre-activation, dropout 0.3; shortcuts decided on the nominal widths."""

    def __init__(self, depth=28, k=10, classes=100, rate=0.3, d=1):
        super().__init__()
        n = (depth - 4) // 6
        self.conv = nn.Conv2d(3, w(16, d), 3, 1, 1, bias=False)
        blocks, nominal_in = [], 16
        for nominal, stride in ((16 * k, 1), (32 * k, 2), (64 * k, 2)):
            for b in range(n):
                s = stride if b == 0 else 1
                project = s != 1 or nominal_in != nominal
                blocks.append(PreActBlock(w(nominal_in, d), w(nominal, d), s, project, rate))
                nominal_in = nominal
        self.blocks = nn.Sequential(*blocks)
        self.bn = bn(w(nominal_in, d))
        self.dense = nn.Linear(w(nominal_in, d), classes, bias=False)

    def forward(self, x):
        h = F.relu(self.bn(self.blocks(self.conv(x))))
        return self.dense(h.mean((2, 3)))


class Mlp(nn.Module):
    def __init__(self, d=1):
        super().__init__()
        hidden = w(784, d)
        self.d0 = nn.Linear(784, hidden)
        self.bn0 = nn.BatchNorm1d(hidden, eps=1e-3, momentum=0.01)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.out(F.relu(self.bn0(self.d0(x.flatten(1)))))


# name: (constructor of the divisor, input shape, classes)
MODELS = {
    "resnet32": (lambda d: ResNet(32, 100, d), (3, 32, 32), 100),
    "resnet110": (lambda d: ResNet(110, 10, d), (3, 32, 32), 10),
    "c10-cnn1": (lambda d: KerasVgg([w(c, d) for c in (32, 64, 128, 256)], 6, 10, 0.99), (3, 32, 32), 10),
    "tiny-cnn": (lambda d: KerasVgg([w(c, d) for c in (32, 64, 128, 256, 512)], 2, 200, 0.9), (3, 64, 64), 200),
    "c10-cnn2": (C10Cnn2, (3, 32, 32), 10),
    "wrn28-10": (lambda d: Wrn(d=d), (3, 32, 32), 100),
    "mlp": (Mlp, (1, 28, 28), 10),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--divisor", type=int, default=1, help="hidden widths divided by this")
    ap.add_argument("--layout", choices=["default", "channels_last"], default="default")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_torch.py: --device cuda but torch.cuda.is_available() is False")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    ctor, shape, classes = MODELS[a.model]
    net = ctor(a.divisor).train().to(dev)
    x = (torch.rand(a.batch, *shape) * 2 - 1).to(dev)
    if a.layout == "channels_last":
        if a.model == "mlp":
            raise SystemExit("--layout channels_last needs a convolutional network, not mlp")
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    y = torch.randint(0, classes, (a.batch,)).to(dev)
    times = []
    for i in range(a.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        float(loss.detach())  # synchronises (CUDA)
        if i > 0:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "model": a.model,
        "impl_": "torch" if a.layout == "default" else "torch-cl",
        "batch": a.batch,
        "threads": a.threads,
        "step_s": times,
        "median_s": med,
        "images_per_s": a.batch / med,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "device": "cuda:0" if a.device == "cuda" else "cpu",
    }))


if __name__ == "__main__":
    main()
