#!/usr/bin/python3
"""Quantized operators, Kiln against ONNX Runtime, on seeded models the ONNX node tests do not cover.

Usage: quantize_vs_ort.py KILN WORKDIR

Writes WORKDIR/<case>/model.onnx with full-range int8/uint8 inputs (ort_run.js make draws integers from
[0, 10) only), lets ONNX Runtime compute the outputs (ort_run.js run), then runs `kiln check` on each case.
Integer outputs must match exactly. Covers per-channel QLinearConv with groups, depthwise, 1-D/3-D,
auto_pad, rows longer than one accumulator chunk, requantization ties, batched QLinearMatMul with
per-column B, MatMulInteger/ConvInteger type mixes, QuantizeLinear ties/saturation/per axis,
DequantizeLinear int32/per axis and DynamicQuantizeLinear (including all zeros). Per-channel weight zero
points that differ are not here: ONNX Runtime refuses them (test/ops/quantize_test.cpp checks them).

Exit: 0 all match, 1 a mismatch, 2 usage or setup error, 77 ONNX Runtime not available (KILN_ORT_DIR,
default build/ort; install with test/ort/install_ort.sh).
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, '..', 'ort', 'ort_run.js')
ELEM = {np.uint8: TP.UINT8, np.int8: TP.INT8, np.int32: TP.INT32, np.float32: TP.FLOAT}


def q8(rng, shape, dt):
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max + 1, size=shape).astype(dt)


def scalar(v, dt):
    return np.array(v, dt)


class Cases:
    def __init__(self, root):
        self.root = root
        self.names = []

    def add(self, name, op, ins, attrs, inputs, inits, outs, opset=13):
        """inputs, inits: lists of (name, array); outs: list of (name, elem type)."""
        d = os.path.join(self.root, name)
        os.makedirs(os.path.join(d, 'test_data_set_0'), exist_ok=True)
        graph = helper.make_graph(
            [helper.make_node(op, ins, [o for o, _ in outs], **attrs)], name,
            [helper.make_tensor_value_info(n, ELEM[a.dtype.type], a.shape) for n, a in inputs],
            [helper.make_tensor_value_info(n, e, None) for n, e in outs],
            [numpy_helper.from_array(a, n) for n, a in inits])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
        model.ir_version = 8
        onnx.save(onnx.shape_inference.infer_shapes(model), os.path.join(d, 'model.onnx'))
        for i, (n, a) in enumerate(inputs):
            with open(os.path.join(d, 'test_data_set_0', f'input_{i}.pb'), 'wb') as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
        self.names.append(name)


def qlinearconv(cases, rng, name, xt, wt, yt, xshape, wshape, attrs, per_channel=True, bias=True, w_zp=0):
    m = wshape[0]
    ws = rng.uniform(0.002, 0.02, size=m if per_channel else 1).astype(np.float32)
    x_zp = 100 if xt == np.uint8 else 3
    y_scale = 0.0456 * (wshape[1] * np.prod(wshape[2:])) ** 0.5 / 5
    ins = ['x', 'xs', 'xzp', 'w', 'ws', 'wzp', 'ys', 'yzp']
    inits = [('xs', scalar(0.0123, np.float32)), ('xzp', scalar(x_zp, xt)), ('w', q8(rng, wshape, wt)), ('ws', ws),
             ('wzp', np.full(ws.shape, w_zp, wt)), ('ys', scalar(y_scale, np.float32)),
             ('yzp', scalar(121 if yt == np.uint8 else -7, yt))]
    if bias:
        ins.append('b')
        inits.append(('b', rng.integers(-20000, 20000, size=m).astype(np.int32)))
    cases.add(name, 'QLinearConv', ins, attrs, [('x', q8(rng, xshape, xt))], inits, [('y', ELEM[yt])])


def qlinearmatmul(cases, rng, name, at, bt, yt, ashape, bshape, b_per_column, b_constant=True):
    n = bshape[-1]
    bs = (rng.uniform(0.002, 0.01, size=n) if b_per_column else np.array([0.004])).astype(np.float32)
    inits = [('as', scalar(0.013, np.float32)), ('azp', scalar(17 if at == np.int8 else 140, at)), ('bs', bs),
             ('bzp', (q8(rng, bs.shape, bt) // 4).astype(bt)),
             ('ys', scalar(0.05 * ashape[-1] ** 0.5 / 3, np.float32)),
             ('yzp', scalar(-3 if yt == np.int8 else 118, yt))]
    inputs = [('a', q8(rng, ashape, at))]
    (inits if b_constant else inputs).append(('b', q8(rng, bshape, bt)))
    cases.add(name, 'QLinearMatMul', ['a', 'as', 'azp', 'b', 'bs', 'bzp', 'ys', 'yzp'], {}, inputs, inits,
              [('y', ELEM[yt])])


def make_cases(root):
    rng = np.random.default_rng(2024)
    c = Cases(root)
    u8, s8 = np.uint8, np.int8

    qlinearconv(c, rng, 'qlinearconv_groups_perchannel', u8, s8, u8, (2, 4, 9, 8), (6, 2, 3, 3),
                dict(group=2, strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2]))
    qlinearconv(c, rng, 'qlinearconv_depthwise_s8', s8, s8, s8, (1, 6, 7, 7), (6, 1, 3, 3), dict(group=6, pads=[1] * 4))
    qlinearconv(c, rng, 'qlinearconv_u8u8_same_upper', u8, u8, u8, (1, 3, 10, 9), (5, 3, 3, 2),
                dict(auto_pad='SAME_UPPER', strides=[2, 2]), per_channel=False, bias=False, w_zp=128)
    qlinearconv(c, rng, 'qlinearconv_1d_same_lower', u8, s8, u8, (2, 3, 11), (4, 3, 4),
                dict(auto_pad='SAME_LOWER', strides=[3]))
    qlinearconv(c, rng, 'qlinearconv_3d', u8, s8, u8, (1, 2, 5, 6, 7), (3, 2, 2, 3, 2),
                dict(pads=[1, 0, 1, 0, 1, 1], strides=[1, 2, 1]))
    qlinearconv(c, rng, 'qlinearconv_wide_rows', u8, s8, u8, (1, 2, 3, 150), (3, 2, 1, 5), dict(pads=[0, 2, 0, 2]))
    # x_scale * w_scale / y_scale = 0.5: every odd accumulator is a rounding tie.
    c.add('qlinearconv_requant_ties', 'QLinearConv', ['x', 'xs', 'xzp', 'w', 'ws', 'wzp', 'ys', 'yzp'], {},
          [('x', (q8(rng, (1, 2, 6, 6), u8) // 16 + 120).astype(u8))],
          [('xs', scalar(0.25, np.float32)), ('xzp', scalar(128, u8)),
           ('w', (q8(rng, (3, 2, 2, 2), s8) // 16).astype(s8)),
           ('ws', np.array([1.0], np.float32)), ('wzp', np.array([0], s8)), ('ys', scalar(0.5, np.float32)),
           ('yzp', scalar(128, u8))], [('y', TP.UINT8)])

    x = q8(rng, (1, 3, 8, 7), u8)
    c.add('convinteger_pads_strides', 'ConvInteger', ['x', 'w', 'xzp', 'wzp'], dict(pads=[1, 2, 1, 0], strides=[2, 1]),
          [('x', x)], [('w', q8(rng, (4, 3, 3, 3), u8)), ('xzp', scalar(131, u8)), ('wzp', scalar(120, u8))],
          [('y', TP.INT32)], opset=10)
    c.add('convinteger_group_noxzp', 'ConvInteger', ['x', 'w', '', 'wzp'], dict(group=3, dilations=[2, 1]), [('x', x)],
          [('w', q8(rng, (6, 1, 2, 2), u8)), ('wzp', scalar(7, u8))], [('y', TP.INT32)], opset=10)
    c.add('convinteger_s8s8', 'ConvInteger', ['x', 'w', 'xzp', 'wzp'], {}, [('x', q8(rng, (1, 2, 5, 5), s8))],
          [('w', q8(rng, (3, 2, 3, 3), s8)), ('xzp', scalar(-3, s8)), ('wzp', scalar(0, s8))], [('y', TP.INT32)],
          opset=10)

    qlinearmatmul(c, rng, 'qlinearmatmul_batched_percol', u8, s8, u8, (2, 3, 5, 70), (70, 67), True)
    qlinearmatmul(c, rng, 'qlinearmatmul_s8s8s8', s8, s8, s8, (4, 9), (9, 6), False, b_constant=False)
    qlinearmatmul(c, rng, 'qlinearmatmul_broadcast_u8', u8, u8, u8, (3, 1, 4, 8), (2, 8, 5), False, b_constant=False)
    # a_scale * b_scale / y_scale = 0.5 with small values: ties without saturation.
    c.add('qlinearmatmul_requant_ties', 'QLinearMatMul', ['a', 'as', 'azp', 'b', 'bs', 'bzp', 'ys', 'yzp'], {},
          [('a', q8(rng, (7, 3), u8) // 16), ('b', q8(rng, (3, 9), u8) // 16)],
          [('as', scalar(0.5, np.float32)), ('azp', scalar(3, u8)), ('bs', scalar(1.0, np.float32)),
           ('bzp', scalar(5, u8)), ('ys', scalar(1.0, np.float32)), ('yzp', scalar(100, u8))], [('y', TP.UINT8)])

    c.add('matmulinteger_percol', 'MatMulInteger', ['a', 'b', 'azp', 'bzp'], {}, [('a', q8(rng, (3, 5, 33), u8))],
          [('b', q8(rng, (33, 70), s8)), ('azp', scalar(129, u8)), ('bzp', q8(rng, (70,), s8))], [('y', TP.INT32)],
          opset=10)
    c.add('matmulinteger_s8s8_nozp', 'MatMulInteger', ['a', 'b'], {},
          [('a', q8(rng, (2, 4, 17), s8)), ('b', q8(rng, (2, 17, 3), s8))], [], [('y', TP.INT32)], opset=10)
    c.add('matmulinteger_s8u8', 'MatMulInteger', ['a', 'b', 'azp', 'bzp'], {},
          [('a', q8(rng, (5, 9), s8)), ('b', q8(rng, (9, 4), u8))], [('azp', scalar(-2, s8)), ('bzp', scalar(200, u8))],
          [('y', TP.INT32)], opset=10)

    x = rng.normal(0, 200, size=(3, 4, 50)).astype(np.float32)
    x[0, 0, :12] = [0.25, 0.75, -0.25, -0.75, 1.25, -1.25, 63.75, -64.25, 1e9, -1e9, np.inf, -np.inf]
    c.add('quantizelinear_axis0_s8', 'QuantizeLinear', ['x', 's', 'zp'], dict(axis=0), [('x', x)],
          [('s', np.array([0.5, 0.25, 2.0], np.float32)), ('zp', np.array([0, -3, 5], s8))], [('y', TP.INT8)])
    c.add('quantizelinear_axisneg2_u8', 'QuantizeLinear', ['x', 's', 'zp'], dict(axis=-2), [('x', x)],
          [('s', np.array([0.5, 1.0, 2.0, 4.0], np.float32)), ('zp', np.array([0, 128, 255, 7], u8))],
          [('y', TP.UINT8)])
    ties = np.arange(-260, 260, dtype=np.float32).reshape(4, 130) + 0.5
    c.add('quantizelinear_ties_nozp', 'QuantizeLinear', ['x', 's'], {}, [('x', ties)], [('s', scalar(1.0, np.float32))],
          [('y', TP.UINT8)])
    c.add('quantizelinear_ties_s8', 'QuantizeLinear', ['x', 's', 'zp'], {}, [('x', ties)],
          [('s', scalar(1.0, np.float32)), ('zp', scalar(-1, s8))], [('y', TP.INT8)], opset=10)

    c.add('dequantizelinear_int32', 'DequantizeLinear', ['x', 's'], {},
          [('x', rng.integers(-2**31, 2**31 - 1, size=(5, 7)).astype(np.int32))], [('s', scalar(0.0007, np.float32))],
          [('y', TP.FLOAT)], opset=10)
    c.add('dequantizelinear_axis2_s8', 'DequantizeLinear', ['x', 's', 'zp'], dict(axis=2),
          [('x', q8(rng, (2, 3, 4, 5), s8))],
          [('s', rng.uniform(0.01, 1, 4).astype(np.float32)), ('zp', q8(rng, (4,), s8))], [('y', TP.FLOAT)])

    for name, xv in [('dynamicquantize_normal', rng.normal(0, 3, size=(4, 33))),
                     ('dynamicquantize_zeros', np.zeros((3, 5))),
                     ('dynamicquantize_negative', -np.abs(rng.normal(0, 1, size=(40,)))),
                     ('dynamicquantize_positive', np.abs(rng.normal(0, 1, size=(2, 20))))]:
        c.add(name, 'DynamicQuantizeLinear', ['x'], {}, [('x', xv.astype(np.float32))], [],
              [('y', TP.UINT8), ('ys', TP.FLOAT), ('yzp', TP.UINT8)], opset=11)
    return c.names


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    kiln, work = sys.argv[1], os.path.abspath(sys.argv[2])
    if not shutil.which('node'):
        print('quantize_vs_ort: SKIP: node is not installed')
        return 77
    ort_dir = os.environ.get('KILN_ORT_DIR', os.path.join(HERE, '..', '..', 'build', 'ort'))
    env = dict(os.environ, NODE_PATH=os.path.join(ort_dir, 'node_modules'))
    names = make_cases(work)
    failed = []
    for name in names:
        d = os.path.join(work, name)
        ort = subprocess.run(['node', ORT_RUN, 'run', os.path.join(d, 'model.onnx'),
                              os.path.join(d, 'test_data_set_0')], env=env, capture_output=True, text=True)
        if ort.returncode == 77:
            print('quantize_vs_ort: SKIP: ONNX Runtime is not available (run test/ort/install_ort.sh)')
            return 77
        if ort.returncode != 0:
            print(f'quantize_vs_ort: ONNX Runtime failed on {name}:\n{ort.stderr}', file=sys.stderr)
            return 2
        check = subprocess.run([kiln, 'check', os.path.join(d, 'model.onnx'), '--data', d, '--work-dir',
                                os.path.join(d, 'check')], capture_output=True, text=True)
        print(f'{"PASS" if check.returncode == 0 else "FAIL"} {name}')
        if check.returncode != 0:
            print(check.stdout + check.stderr)
            failed.append(name)
    print(f'quantize_vs_ort: {len(names) - len(failed)} of {len(names)} cases match ONNX Runtime')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
