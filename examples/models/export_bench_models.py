#!/usr/bin/python3
"""Exports the models of Kiln's memory benchmark (test/bench/memory_bench.py) to ONNX, without any download.

    /usr/bin/python3 examples/models/export_bench_models.py OUTDIR [--models ds_cnn,vww_mobilenet_v1,...] [--list]
                                                           [--skip-unavailable]

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-onnx). For each model NAME it
writes OUTDIR/NAME/model.onnx and OUTDIR/NAME/pytorch/{input_0,output_0}.pb (one seeded input and PyTorch's
output for it, so `kiln check OUTDIR/NAME/model.onnx --data OUTDIR/NAME/pytorch` can check the compiled code).
Without torchvision the torchvision models are an error, or with --skip-unavailable are left out with the
reason in OUTDIR/NAME.skipped.

The models are the shapes of network an edge deployment meets, chosen for what they ask of a memory planner:
- ds_cnn: keyword spotting DS-CNN (ARM "Hello Edge" KWS paper, the MLPerf Tiny KWS reference): input
  1x1x49x10 MFCC features; Conv 64x(10x4) stride 2 (padding 5,1: TF's 'same' output size 25x5), then four
  depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, 64 channels), average pool, Linear to 12 classes.
- vww_mobilenet_v1: visual wake words MobileNetV1 with width multiplier 0.25 at 1x3x96x96 (the MLPerf Tiny
  VWW reference): 3x3 stride-2 conv to 8 channels, 13 depthwise-separable blocks up to 256 channels, global
  average pool, Linear to 2 classes.
- mobilenet_v2, resnet18, squeezenet1_1, googlenet: torchvision 0.14 architectures with weights=None at
  1x3x224x224 (GoogLeNet without its auxiliary heads: Inception blocks of four Concat-ed branches).
- densenet121: torchvision's DenseNet-121 at 1x3x64x64 (every layer reads the Concat of all earlier ones).
- unet: a small U-Net at 1x3x64x64: three encoder levels (16, 32, 64 channels) of two 3x3 Conv+BN+ReLU each
  and a 2x2 max pool, a 128-channel bottleneck, three decoder levels of a stride-2 ConvTranspose, a Concat
  with the encoder's skip tensor and two Conv+BN+ReLU, then a 1x1 Conv to 2 classes. The skips keep large
  tensors alive across the whole network, which is what makes U-Nets hard to plan.
Every BatchNorm gets a random affine (scale in [0.5, 1.5], shift in [-0.25, 0.25]) and running statistics
measured on seeded random batches, exactly as export_models.py does (its helpers are reused). All models are
in eval() mode and exported with training=TrainingMode.PRESERVE, which skips the exporter's Conv+BatchNorm
fusion: their BatchNormalization nodes reach Kiln as they are, so the benchmark measures Kiln's own passes.
Opset 13, static shapes, do_constant_folding=True, onnx.checker passes. Each model has its own seed; one
thread and deterministic algorithms make the files a pure function of the torch version and the CPU.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_models import calibrate_batchnorm, cli, randomize_norm_affine, torchvision_missing  # noqa: E402

IMAGE = (1, 3, 224, 224)
OPSET = 13


def conv_bn_relu(cin, cout, kernel, stride=1, padding=0, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def separable(cin, cout, stride):
    """Depthwise 3x3 then pointwise 1x1, each followed by BatchNorm and ReLU (MobileNetV1 / DS-CNN block)."""
    return nn.Sequential(conv_bn_relu(cin, cin, 3, stride, 1, groups=cin), conv_bn_relu(cin, cout, 1))


class DsCnn(nn.Module):
    def __init__(self, channels=64, blocks=4, classes=12):
        super().__init__()
        self.stem = conv_bn_relu(1, channels, (10, 4), (2, 2), (5, 1))
        self.blocks = nn.Sequential(*[separable(channels, channels, 1) for _ in range(blocks)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(channels, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class MobileNetV1(nn.Module):
    # (output channels, stride) of the 13 separable blocks at width 1.0
    BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

    def __init__(self, alpha=0.25, classes=2):
        super().__init__()
        width = int(32 * alpha)
        layers = [conv_bn_relu(3, width, 3, 2, 1)]
        for channels, stride in self.BLOCKS:
            layers.append(separable(width, int(channels * alpha), stride))
            width = int(channels * alpha)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


class UNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), bottleneck=128, classes=2):
        super().__init__()
        self.down = nn.ModuleList()
        cin = 3
        for w in widths:
            self.down.append(nn.Sequential(conv_bn_relu(cin, w, 3, 1, 1), conv_bn_relu(w, w, 3, 1, 1)))
            cin = w
        self.pool = nn.MaxPool2d(2)
        self.bottom = nn.Sequential(conv_bn_relu(cin, bottleneck, 3, 1, 1), conv_bn_relu(bottleneck, bottleneck, 3, 1, 1))
        self.up = nn.ModuleList()
        self.merge = nn.ModuleList()
        cin = bottleneck
        for w in reversed(widths):
            self.up.append(nn.ConvTranspose2d(cin, w, 2, 2))
            self.merge.append(nn.Sequential(conv_bn_relu(2 * w, w, 3, 1, 1), conv_bn_relu(w, w, 3, 1, 1)))
            cin = w
        self.head = nn.Conv2d(cin, classes, 1)

    def forward(self, x):
        skips = []
        for level in self.down:
            x = level(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            x = merge(torch.cat([up(x), skip], 1))
        return self.head(x)


def own_model(cls, shape):
    def make(gen):
        model = cls()
        randomize_norm_affine(model, gen)
        calibrate_batchnorm(model, gen, shape)
        return model
    return make


def torchvision_model(name, shape, **kwargs):
    def make(gen):
        import torchvision
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
        randomize_norm_affine(model, gen)
        calibrate_batchnorm(model, gen, shape)
        return model
    return make


def always():
    return None


SMALL_IMAGE = (1, 3, 64, 64)
# name -> (builder(generator) -> nn.Module, input shape, opset, seed, keep BatchNorm, what is missing: a function
# returning None or why), as export_models.export_model takes them.
MODELS = {
    "ds_cnn": (own_model(DsCnn, (1, 1, 49, 10)), (1, 1, 49, 10), OPSET, 2001, True, always),
    "vww_mobilenet_v1": (own_model(MobileNetV1, (1, 3, 96, 96)), (1, 3, 96, 96), OPSET, 2002, True, always),
    "mobilenet_v2": (torchvision_model("mobilenet_v2", IMAGE), IMAGE, OPSET, 2003, True, torchvision_missing),
    "resnet18": (torchvision_model("resnet18", IMAGE), IMAGE, OPSET, 2004, True, torchvision_missing),
    "squeezenet1_1": (torchvision_model("squeezenet1_1", IMAGE), IMAGE, OPSET, 2005, True, torchvision_missing),
    "densenet121": (torchvision_model("densenet121", SMALL_IMAGE), SMALL_IMAGE, OPSET, 2006, True,
                    torchvision_missing),
    "googlenet": (torchvision_model("googlenet", IMAGE, aux_logits=False, init_weights=True), IMAGE, OPSET, 2007,
                  True, torchvision_missing),
    "unet": (own_model(UNet, SMALL_IMAGE), SMALL_IMAGE, OPSET, 2008, True, always),
}


if __name__ == "__main__":
    sys.exit(cli(MODELS, "export_bench_models", __doc__.split("\n")[0]))
