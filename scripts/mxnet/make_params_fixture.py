#!/usr/bin/env python3
"""Writes the MXNet .params fixtures that Tests/EngineTests/MXNetParamsTests.swift reads.

  resnet38_w16.params        the backbone weights of resnet38_w16_eps.safetensors (its
                             `param.*` tensors except fc8) under ademxapp's MXNet names
                             (`arg:res4b3_branch2a_weight`, `aux:bn7_moving_var`, ...) plus a
                             fake ImageNet classifier `arg:linear1000_weight/bias` [10, 256]/[10]
                             that the reader must drop. Written by mx.nd.save (V2 arrays).
  mxnet_small_legacy.params  a few of the same tensors in the pre-0.9.5 layout (u32 ndim, u32 dims)
  mxnet_small_v1.params      ... in the V1 layout (magic 0xF993FAC8, i32 ndim, i64 dims)
  mxnet_small_v3.params      ... in the V3 layout (magic 0xF993FACA, NumPy shape semantics)
  mxnet_float64.params       one float64 array (the reader must refuse it)
  mxnet_unknown_name.params  names that are not ademxapp ResNet-38 names

mxnet is optional: with it (pip install "numpy<1.24" mxnet==1.9.1), every file is written or
checked by MXNet itself (mx.nd.save / mx.nd.load) and the script's own writer must give
byte-identical V2/V3 output; without it, the script's own writer makes the same bytes.
Needs numpy only otherwise. Run from the repository root:

  python3 scripts/mxnet/make_params_fixture.py
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

LIST_MAGIC = 0x112
V1_MAGIC, V2_MAGIC, V3_MAGIC = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
BN_TO_MX = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_var"}


def read_safetensors(path):
    """name -> float32 array, in file (data offset) order. F32 only: that is all the fixture holds."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"]).copy()
    return out


def mxnet_name(sd_name):
    """state_dict name -> ademxapp name with its arg:/aux: prefix (inverse of the EPS converter)."""
    parts = sd_name.split(".")
    if sd_name == "conv1a.weight":
        return "arg:conv1a_weight"
    if parts[0] == "bn7":
        p = BN_TO_MX[parts[1]]
        return ("aux:" if p.startswith("moving") else "arg:") + "bn7_" + p
    module, layer, param = parts                     # b4_3, conv_branch2a, weight
    stage, _, k = module[1:].partition("_")
    block = stage + ("b" + k if k else "a")          # 4b3 / 4a
    kind, branch = layer.split("_", 1)               # conv|bn, branch2a
    if kind == "conv":
        assert param == "weight"
        return "arg:res%s_%s_weight" % (block, branch)
    p = BN_TO_MX[param]
    return ("aux:" if p.startswith("moving") else "arg:") + "bn%s_%s_%s" % (block, branch, p)


def official_style_name(key):
    """What EPS's convert_mxnet_to_torch makes of a key (re-stated here: split on '_',
    block letters read from the end of the first token, BN parameter from the last token)."""
    bn = {"beta": "bias", "gamma": "weight", "mean": "running_mean", "var": "running_var"}
    toks = key.split("_")
    if "conv1a" in toks[0]:
        return "conv1a.weight"
    if "linear1000" in toks[0]:
        return None
    if "branch" in toks[1]:
        head = toks[0]
        module = "b" + head[-2] if head[-1] == "a" else "b" + head[-3] + "_" + head[-1]
        if "res" in head:
            return "%s.conv_%s.weight" % (module, toks[1])
        return "%s.bn_%s.%s" % (module, toks[1], bn[toks[-1]])
    return "bn7." + bn[toks[-1]]


# ---- the byte layout, written by hand (must equal mx.nd.save where MXNet can check it) ----

def ndarray_bytes(a, version):
    a = np.ascontiguousarray(a)
    type_flag = {np.dtype("float32"): 0, np.dtype("float64"): 1}[a.dtype]
    if version == "legacy":
        head = struct.pack("<I", a.ndim) + struct.pack("<%dI" % a.ndim, *a.shape)
    elif version == "v1":
        head = struct.pack("<Ii", V1_MAGIC, a.ndim) + struct.pack("<%dq" % a.ndim, *a.shape)
    else:
        magic = V2_MAGIC if version == "v2" else V3_MAGIC
        head = struct.pack("<Iii", magic, 0, a.ndim) + struct.pack("<%dq" % a.ndim, *a.shape)
    ctx = struct.pack("<ii", 1, 0)                   # dev_type kCPU = 1, dev_id 0
    return head + ctx + struct.pack("<i", type_flag) + a.astype(a.dtype.newbyteorder("<")).tobytes()


def list_bytes(named, version):
    out = [struct.pack("<QQQ", LIST_MAGIC, 0, len(named))]
    out += [ndarray_bytes(a, version) for _, a in named]
    out.append(struct.pack("<Q", len(named)))
    for name, _ in named:
        raw = name.encode("utf-8")
        out.append(struct.pack("<Q", len(raw)) + raw)
    return b"".join(out)


def try_mxnet():
    try:
        import mxnet as mx
        return mx
    except Exception as e:                           # not installed, or broken on this Python
        print("mxnet not usable (%s): writing with the script's own writer only" % e.__class__.__name__)
        return None


def write(path, named, version, mx):
    mine = list_bytes(named, version)
    if mx is not None and version in ("v2", "v3"):
        arrays = {k: mx.nd.array(v, dtype=v.dtype) for k, v in named}
        if version == "v3":
            with mx.util.np_shape(True):
                mx.nd.save(path, arrays)
        else:
            mx.nd.save(path, arrays)
        with open(path, "rb") as f:
            theirs = f.read()
        assert theirs == mine, "%s: mx.nd.save output differs from the hand-written layout" % path
        how = "mx.nd.save (identical to the hand-written bytes)"
    else:
        with open(path, "wb") as f:
            f.write(mine)
        how = "hand-written"
    if mx is not None:                               # MXNet must read back names, shapes, values exactly
        if version == "v3":
            with mx.util.np_shape(True):
                back = mx.nd.load(path)
        else:
            back = mx.nd.load(path)
        assert list(back.keys()) == [k for k, _ in named], path
        for k, v in named:
            got = back[k].asnumpy()
            assert got.dtype == v.dtype and got.shape == v.shape and np.array_equal(got, v), (path, k)
        how += ", read back by mx.nd.load"
    print("%-28s %3d arrays %9d bytes  %s" % (os.path.basename(path), len(named), len(mine), how))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/EngineTests/Fixtures")
    args = ap.parse_args()
    mx = try_mxnet()

    src = read_safetensors(os.path.join(args.out, "resnet38_w16_eps.safetensors"))
    params = [(k[len("param."):], v) for k, v in src.items() if k.startswith("param.") and not k.startswith("param.fc8.")]
    named = [(mxnet_name(k), v) for k, v in params]
    for (sd, _), (mxn, _) in zip(params, named):     # the EPS converter must give the name back
        assert official_style_name(mxn) == sd, (mxn, official_style_name(mxn), sd)
    # Like mx.model.save_checkpoint: arg: entries first (with the classifier), then aux:.
    rng = np.random.RandomState(0)
    c = dict(params)["bn7.weight"].shape[0]
    fake = [("arg:linear1000_weight", rng.uniform(-0.1, 0.1, (10, c)).astype(np.float32)),
            ("arg:linear1000_bias", np.zeros(10, np.float32))]
    assert official_style_name(fake[0][0]) is None
    ordered = [e for e in named if e[0].startswith("arg:")] + fake + [e for e in named if e[0].startswith("aux:")]
    write(os.path.join(args.out, "resnet38_w16.params"), ordered, "v2", mx)

    pick = ["arg:conv1a_weight", "arg:res2b1_branch2a_weight", "arg:res3a_branch1_weight",
            "arg:bn2a_branch2a_gamma", "arg:bn2a_branch2a_beta", "aux:bn2a_branch2a_moving_mean",
            "aux:bn2a_branch2a_moving_var", "aux:bn5b1_branch2b1_moving_var", "arg:bn7_gamma",
            "aux:bn7_moving_var", "arg:linear1000_bias"]
    small = [e for e in ordered if e[0] in pick]
    assert len(small) == len(pick)
    for version in ("legacy", "v1", "v3"):
        write(os.path.join(args.out, "mxnet_small_%s.params" % version), small, version, mx)
    write(os.path.join(args.out, "mxnet_float64.params"),
          [("arg:conv1a_weight", dict(named)["arg:conv1a_weight"].astype(np.float64))], "v2", mx)
    write(os.path.join(args.out, "mxnet_unknown_name.params"),
          [("arg:conv1a_weight", dict(named)["arg:conv1a_weight"]),
           ("arg:res2a_branch1_bias", np.zeros(8, np.float32)),
           ("aux:foo_moving_mean", np.zeros(3, np.float32))], "v2", mx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
