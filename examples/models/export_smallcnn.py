#!/usr/bin/python3
"""Makes examples/smallcnn: a tiny image classifier exported to ONNX, with PyTorch's own output as reference.

How it is made (run with Debian's /usr/bin/python3, python3-torch and python3-onnx, no network):

    /usr/bin/python3 examples/models/export_smallcnn.py OUTDIR

1. Synthetic data: 28x28 images of a bright line segment through the centre (shifted by up to 3 pixels,
   random length, width and contrast, Gaussian noise) whose orientation is one of 10 angles, 18 degrees
   apart. Class k = angle k*18 degrees. `bar_image()` below is the noiseless pattern; the host demo
   (examples/host_demo/main.cpp) draws the same one, so it can show a meaningful top-1 class.
2. Model (SmallCNN): input BatchNorm (feature normalisation, stays a BatchNormalization node since no Conv
   precedes it), Conv 3x3 + BN + ReLU, MaxPool 2x2, Conv 3x3 stride 2 + BN + ReLU, depthwise Conv 3x3 +
   BN + ReLU, pointwise Conv 1x1 + BN + ReLU, AvgPool 2x2, AdaptiveAvgPool to 1x1, Flatten, Linear, Softmax.
3. 800 SGD steps (about 20 s of CPU), single-threaded with fixed seeds and deterministic algorithms, so the
   weights and BatchNorm running statistics are real rather than an untouched initialisation.
4. eval() mode, exported with torch.onnx.export (opset 13, static 1x1x28x28 input, do_constant_folding;
   the exporter folds each BN that follows a Conv into the Conv).
5. OUTDIR/model.onnx plus OUTDIR/test_data_set_0/{input_0.pb,output_0.pb}: a seeded noisy input and
   the softmax PyTorch computes for it. That output is the reference no one in this project wrote.

The result is deterministic for a given torch version and CPU: same seeds, one thread.
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

NUM_CLASSES = 10
SIZE = 28
SEED = 20240607


def bar_image(angle_deg, cy=13.5, cx=13.5, half_length=10.0, width=1.5):
    """The noiseless pattern of one class: a line segment through (cy, cx) at the given angle.

    Intensity is exp(-d^2 / (2 width^2)) with d the distance to the segment axis, cut off past half_length
    along it. main.cpp's draw_bar() computes the same values in float."""
    a = math.radians(angle_deg)
    ys, xs = np.meshgrid(np.arange(SIZE, dtype=np.float64), np.arange(SIZE, dtype=np.float64), indexing="ij")
    dy, dx = ys - cy, xs - cx
    along = dx * math.cos(a) + dy * math.sin(a)
    across = -dx * math.sin(a) + dy * math.cos(a)
    img = np.exp(-(across ** 2) / (2.0 * width ** 2))
    img[np.abs(along) > half_length] = 0.0
    return img.astype(np.float32)


def make_batch(gen, n):
    """n noisy images and their labels, drawn from numpy Generator gen."""
    labels = gen.integers(0, NUM_CLASSES, size=n)
    imgs = np.empty((n, 1, SIZE, SIZE), dtype=np.float32)
    for i, k in enumerate(labels):
        img = bar_image(k * 180.0 / NUM_CLASSES + gen.uniform(-4.0, 4.0),
                        cy=13.5 + gen.uniform(-3.0, 3.0), cx=13.5 + gen.uniform(-3.0, 3.0),
                        half_length=gen.uniform(7.0, 12.0), width=gen.uniform(1.0, 2.0))
        img = img * gen.uniform(0.6, 1.4) + gen.normal(0.0, 0.15, size=img.shape).astype(np.float32)
        imgs[i, 0] = img
    return torch.from_numpy(imgs), torch.from_numpy(labels.astype(np.int64))


def conv_bn_relu(cin, cout, k, stride=1, padding=0, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=padding, groups=groups, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.BatchNorm2d(1),                                # 1x28x28, input normalisation
            *conv_bn_relu(1, 8, 3, padding=1),                # 8x28x28
            nn.MaxPool2d(2),                                  # 8x14x14
            *conv_bn_relu(8, 16, 3, stride=2, padding=1),     # 16x7x7
            *conv_bn_relu(16, 16, 3, padding=1, groups=16),   # 16x7x7 depthwise
            *conv_bn_relu(16, 32, 1),                         # 32x7x7 pointwise
            # count_include_pad=False changes nothing without padding, but with the default (True) torch 1.13
            # exports an all-zero Pad node in front of the AveragePool.
            nn.AvgPool2d(2, count_include_pad=False),         # 32x3x3
            nn.AdaptiveAvgPool2d(1),                          # 32x1x1
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32, NUM_CLASSES), nn.Softmax(dim=1))

    def forward(self, x):
        return self.classifier(self.features(x))


def train(model, steps, batch=64):
    gen = np.random.default_rng(SEED)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.NLLLoss()
    model.train()
    for step in range(steps):
        x, y = make_batch(gen, batch)
        opt.zero_grad()
        loss = loss_fn(torch.log(model(x) + 1e-9), y)
        loss.backward()
        opt.step()
    model.eval()
    x, y = make_batch(gen, 500)
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    clean = torch.from_numpy(np.stack([bar_image(k * 180.0 / NUM_CLASSES) for k in range(NUM_CLASSES)])[:, None])
    with torch.no_grad():
        clean_pred = model(clean).argmax(dim=1).tolist()
    return loss.item(), accuracy, clean_pred


def write_tensor(array, path, name):
    t = numpy_helper.from_array(np.ascontiguousarray(array), name=name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="folder for model.onnx and test_data_set_0/")
    ap.add_argument("--steps", type=int, default=800, help="training steps (default 800)")
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    model = SmallCNN()
    loss, accuracy, clean_pred = train(model, steps=args.steps)
    print(f"smallcnn: final loss {loss:.3f}, accuracy on 500 noisy samples {accuracy:.3f}, "
          f"clean patterns classified as {clean_pred}")

    os.makedirs(os.path.join(args.outdir, "test_data_set_0"), exist_ok=True)
    model_path = os.path.join(args.outdir, "model.onnx")
    x, label = make_batch(np.random.default_rng(SEED + 1), 1)
    torch.onnx.export(model, x, model_path, opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["probabilities"])
    with torch.no_grad():
        y = model(x).numpy()
    onnx.checker.check_model(onnx.load(model_path))
    write_tensor(x.numpy(), os.path.join(args.outdir, "test_data_set_0", "input_0.pb"), "input")
    write_tensor(y, os.path.join(args.outdir, "test_data_set_0", "output_0.pb"), "probabilities")
    ops = sorted({n.op_type for n in onnx.load(model_path).graph.node})
    print(f"smallcnn: wrote {model_path} ({os.path.getsize(model_path)} bytes; ops {', '.join(ops)}), "
          f"reference input of class {int(label[0])}, PyTorch says class {int(y.argmax())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
