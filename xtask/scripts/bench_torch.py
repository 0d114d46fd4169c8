#!/usr/bin/env python3
"""PyTorch eager reference for `cargo xtask bench` on CPU or CUDA (`--device cuda`; optional:
never needed to build or test).

Same networks, batch sizes and step as the Rust benchmark: forward in train mode,
cross-entropy, backward, plain SGD update. Prints one JSON line in the Rust `Measurement`
format.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c):
    # Keras BN without affine parameters: epsilon 1e-3, momentum 0.99 (PyTorch: 0.01).
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01, affine=False)


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


class ResNet32(nn.Module):
    def __init__(self, classes=100, n=5):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = bn(16)
        blocks, cin = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.dense = nn.Linear(64, classes, bias=False)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.dense(F.avg_pool2d(h, 8).flatten(1))


class C10Cnn1(nn.Module):
    """4 stages x 6 convs (32-256), Conv -> ReLU -> BN, max-pool after stages 0-2, GAP."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for stage, width in enumerate([32, 64, 128, 256]):
            for _ in range(6):
                layers += [nn.Conv2d(cin, width, 3, 1, 1, bias=False), nn.ReLU(), bn(width)]
                cin = width
            if stage < 3:
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.dense = nn.Linear(256, 10, bias=False)

    def forward(self, x):
        return self.dense(self.features(x).mean((2, 3)))


class C10Cnn2(nn.Module):
    """torch-blog VGG: [2,2,3,3,3] x [64..512], Conv -> BN -> ReLU, max-pool after each stage."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 3
        for width, n in zip([64, 128, 256, 512, 512], [2, 2, 3, 3, 3]):
            for _ in range(n):
                layers += [nn.Conv2d(cin, width, 3, 1, 1, bias=False), bn(width), nn.ReLU()]
                cin = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.d0 = nn.Linear(512, 512, bias=False)
        self.bn0 = nn.BatchNorm1d(512, eps=1e-3, momentum=0.01, affine=False)
        self.out = nn.Linear(512, 10, bias=False)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.out(F.relu(self.bn0(self.d0(h))))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.d0 = nn.Linear(784, 784)
        self.bn0 = nn.BatchNorm1d(784, eps=1e-3, momentum=0.01)
        self.out = nn.Linear(784, 10)

    def forward(self, x):
        return self.out(F.relu(self.bn0(self.d0(x.flatten(1)))))


MODELS = {
    "resnet32": (ResNet32, (3, 32, 32), 100),
    "c10-cnn1": (C10Cnn1, (3, 32, 32), 10),
    "c10-cnn2": (C10Cnn2, (3, 32, 32), 10),
    "mlp": (Mlp, (1, 28, 28), 10),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_torch.py: --device cuda but torch.cuda.is_available() is False")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    ctor, shape, classes = MODELS[a.model]
    net = ctor().train().to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x = (torch.rand(a.batch, *shape) * 2 - 1).to(dev)
    y = torch.randint(0, classes, (a.batch,)).to(dev)
    times = []
    for i in range(a.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        float(loss)  # synchronises (CUDA)
        if i > 0:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "model": a.model,
        "impl_": "torch",
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
