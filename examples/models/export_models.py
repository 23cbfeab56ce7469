#!/usr/bin/python3
"""Exports real network architectures to ONNX for Kiln's model tests (test/models/), without any download.

    /usr/bin/python3 examples/models/export_models.py OUTDIR [--models mobilenet_v2,gru,...] [--list]
                                                     [--skip-unavailable]

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-onnx). For each model NAME it
writes OUTDIR/NAME/model.onnx and OUTDIR/NAME/pytorch/{input_0,output_0}.pb: one seeded input and PyTorch's
own output for it, so the test can check that ONNX Runtime (Kiln's reference) agrees with the model's author.
Without torchvision the torchvision models are an error, or with --skip-unavailable are left out with the
reason in OUTDIR/NAME.skipped.

How each model is made:
- mobilenet_v2, resnet18, squeezenet1_1: torchvision 0.14 architectures with weights=None (there is no
  network to download pretrained weights from), input 1x3x224x224, opset 13. The random initialisation is
  torchvision's own, seeded. An untouched BatchNorm (mean 0, variance 1, scale 1, shift 0) would hide
  folding and normalization bugs, so every BatchNorm first gets a random affine scale in [0.5, 1.5] and
  shift in [-0.25, 0.25], then its running statistics are measured: a few forward passes in train mode
  over seeded standard-normal images with momentum=None (a plain average over the batches). The test
  feeds standard-normal inputs too, so activations stay of order one through every layer, as they do in a
  trained network. The exporter folds each BatchNorm that follows a Conv into the Conv (torch's
  eval-mode peephole); mobilenet_v2 is exported with training=TrainingMode.PRESERVE instead (the model is
  still in eval mode), which skips that fusion, so its 52 BatchNormalization nodes reach Kiln as they are.
  SqueezeNet has no BatchNorm; its ceil-mode max pools and Concat-ed fire modules are what it adds.
- gru, lstm: nn.GRU / nn.LSTM (16 input features, hidden size 32, 2 layers, bidirectional, batch_first)
  over 20 time steps, then a Linear head (64 -> 10) on every step; input 1x20x16, output 1x20x10, opset
  14. Initial states are zeros (not inputs), which the exporter writes as an Expand of a constant; the
  default uniform(-1/sqrt(32), 1/sqrt(32)) initialisation, seeded.
- transformer: a small encoder over 16 tokens of 32 features: Linear(32 -> 64) plus a learned positional
  embedding, nn.TransformerEncoder of 2 post-norm layers (d_model 64, 4 heads, feed-forward 128, GELU,
  dropout 0, batch_first) with a final LayerNorm, then a Linear head (64 -> 10) on every token; input
  1x16x32, output 1x16x10, opset 14 (LayerNorm becomes ReduceMean/Sub/Pow/Sqrt/Div below opset 17, GELU an
  Erf expression). LayerNorm scales and shifts are randomised like the BatchNorms above.

Every model is in eval() mode, exported by torch.onnx.export with static input shapes and
do_constant_folding=True, and passes onnx.checker. Each model has its own seed, so exporting a subset
gives the same files as exporting all; one thread and deterministic algorithms make the result a pure
function of the torch version and the CPU.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

IMAGE = (1, 3, 224, 224)
CALIBRATION_BATCHES = 3
CALIBRATION_BATCH_SIZE = 4


def randomize_norm_affine(model, gen):
    """Scales in [0.5, 1.5] and shifts in [-0.25, 0.25] for every BatchNorm and LayerNorm (init: 1 and 0)."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)) and m.weight is not None:
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen) - 0.5) * 0.5)


def calibrate_batchnorm(model, gen, input_shape):
    """Running statistics measured over seeded random batches, as training would leave them."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(CALIBRATION_BATCHES):
            model(torch.randn((CALIBRATION_BATCH_SIZE,) + input_shape[1:], generator=gen))
    model.eval()


def torchvision_missing():
    try:
        import torchvision  # noqa: F401
        return None
    except ImportError:
        return "torchvision is not installed (apt-get install python3-torchvision)"


def torchvision_model(name, **kwargs):
    def make(gen):
        import torchvision
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
        randomize_norm_affine(model, gen)
        calibrate_batchnorm(model, gen, IMAGE)
        return model
    return make


class SequenceModel(nn.Module):
    """Bidirectional 2-layer recurrent network with a Linear head on every time step."""

    def __init__(self, cell, features=16, hidden=32, classes=10):
        super().__init__()
        self.rnn = cell(features, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y)


class SmallTransformer(nn.Module):
    """Token projection + learned positions, a 2-layer Transformer encoder, a Linear head on every token."""

    def __init__(self, tokens=16, features=32, d_model=64, heads=4, ffn=128, classes=10):
        super().__init__()
        self.embed = nn.Linear(features, d_model)
        self.position = nn.Parameter(torch.randn(1, tokens, d_model) * 0.1)
        layer = nn.TransformerEncoderLayer(d_model, heads, ffn, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x) + self.position))


def sequence_model(cell):
    return lambda gen: SequenceModel(cell)


def transformer(gen):
    model = SmallTransformer()
    randomize_norm_affine(model, gen)
    return model


# name -> (builder(generator) -> nn.Module, input shape, opset, seed, keep BatchNormalization nodes,
#          what is missing to build it: a function returning None or the reason)
MODELS = {
    "mobilenet_v2": (torchvision_model("mobilenet_v2"), IMAGE, 13, 1001, True, torchvision_missing),
    "resnet18": (torchvision_model("resnet18"), IMAGE, 13, 1002, False, torchvision_missing),
    "squeezenet1_1": (torchvision_model("squeezenet1_1"), IMAGE, 13, 1003, False, torchvision_missing),
    "gru": (sequence_model(nn.GRU), (1, 20, 16), 14, 1004, False, lambda: None),
    "lstm": (sequence_model(nn.LSTM), (1, 20, 16), 14, 1005, False, lambda: None),
    "transformer": (transformer, (1, 16, 32), 14, 1006, False, lambda: None),
}

# More torchvision CNNs built from the same ops, exported only when named (--models): the speed benchmark's
# "no slowdown cliff" check (test/bench/speed_bench.py --models resnet50,...); not in the models tests.
MORE_CNNS = {
    "resnet50": (torchvision_model("resnet50"), IMAGE, 13, 1007, False, torchvision_missing),
    "googlenet": (torchvision_model("googlenet", aux_logits=False, init_weights=True), IMAGE, 13, 1008, False,
                  torchvision_missing),
    "densenet121": (torchvision_model("densenet121"), IMAGE, 13, 1009, False, torchvision_missing),
    "mnasnet1_0": (torchvision_model("mnasnet1_0"), IMAGE, 13, 1010, False, torchvision_missing),
    "resnext50_32x4d": (torchvision_model("resnext50_32x4d"), IMAGE, 13, 1011, False, torchvision_missing),
    "regnet_y_400mf": (torchvision_model("regnet_y_400mf"), IMAGE, 13, 1012, False, torchvision_missing),
    "shufflenet_v2_x1_0": (torchvision_model("shufflenet_v2_x1_0"), IMAGE, 13, 1013, False, torchvision_missing),
    "mobilenet_v3_large": (torchvision_model("mobilenet_v3_large"), IMAGE, 14, 1014, False, torchvision_missing),
    "efficientnet_b0": (torchvision_model("efficientnet_b0"), IMAGE, 13, 1015, False, torchvision_missing),
}


def write_tensor(array, path, name):
    t = numpy_helper.from_array(np.ascontiguousarray(array), name=name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export_model(name, spec, outdir, tag):
    """Exports one model; spec = (builder, input shape, opset, seed, keep BatchNorm, missing-check)."""
    build, shape, opset, seed, keep_batchnorm, _ = spec
    torch.manual_seed(seed)  # the architectures' own initialisation draws from the global generator
    gen = torch.Generator().manual_seed(seed)
    model = build(gen).eval()
    x = torch.randn(shape, generator=gen)
    with torch.no_grad():
        y = model(x)

    folder = os.path.join(outdir, name)
    os.makedirs(os.path.join(folder, "pytorch"), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    # PRESERVE exports the model as it is (eval mode) without EVAL's Conv+BatchNorm fusion.
    mode = torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, x, path, opset_version=opset, do_constant_folding=True, training=mode,
                      input_names=["input"], output_names=["output"])
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    write_tensor(x.numpy(), os.path.join(folder, "pytorch", "input_0.pb"), "input")
    write_tensor(y.numpy(), os.path.join(folder, "pytorch", "output_0.pb"), "output")
    params = sum(numpy_helper.to_array(t).size for t in proto.graph.initializer)
    ops = sorted({n.op_type for n in proto.graph.node})
    bn = sum(n.op_type == "BatchNormalization" for n in proto.graph.node)
    print(f"{tag}: {path}: opset {opset}, input {list(shape)}, output {list(y.shape)}, {len(proto.graph.node)} "
          f"nodes ({bn} BatchNormalization), {params} weights, {os.path.getsize(path)} bytes; ops {' '.join(ops)}",
          flush=True)


def cli(models, tag, description, extra=None):
    """The command line both export scripts share: OUTDIR [--models A,B] [--list] [--skip-unavailable].
    `extra` models are exported only when --models names them."""
    default = ",".join(models)
    models = dict(models, **(extra or {}))
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("outdir", nargs="?", help="folder that receives one sub-folder per model")
    ap.add_argument("--models", default=default,
                    help=f"comma-separated subset (default: {default}; also known: {', '.join(extra or {}) or 'none'})")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    ap.add_argument("--skip-unavailable", action="store_true",
                    help="leave out models whose packages are missing (reason in OUTDIR/NAME.skipped)")
    args = ap.parse_args()
    if args.list:
        print("\n".join(models))
        return 0
    if not args.outdir:
        ap.error("OUTDIR is required")
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in models]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(models)}")

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for name in names:
        missing = models[name][5]()
        if missing and not args.skip_unavailable:
            ap.error(f"{name}: {missing}")
        if missing:
            os.makedirs(args.outdir, exist_ok=True)
            with open(os.path.join(args.outdir, name + ".skipped"), "w") as f:
                f.write(f"{name}: {missing}\n")
            print(f"{tag}: {name}: left out: {missing}", flush=True)
            continue
        export_model(name, models[name], args.outdir, tag)
    return 0


if __name__ == "__main__":
    sys.exit(cli(MODELS, "export_models", __doc__.split("\n")[0], MORE_CNNS))
