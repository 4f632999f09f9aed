#!/usr/bin/env python3
"""Writes the fuzzing seeds, Tests/Fuzz/Corpus/<target>/ (scripts/fuzz.sh; docs/ARCHITECTURE.md, "Testing"):
a few small valid files per reader, made here (numpy for the .npy files) or by eps-dist itself (the JPEGs,
masks, saliency maps and VOC XML of `eps-dist synth --difficulty easy --scale 0.5`, when .build/release/eps-dist
is built).
No third-party files. Run from anywhere:

    python3 scripts/make_fuzz_corpus.py [--eps-dist PATH]

The PyTorch files are written without torch: the pickle names torch._utils._rebuild_tensor_v2 and
torch.<Type>Storage exactly as torch.save does (protocol 2, persistent ids for the storages), in a stored zip.
"""
import argparse
import collections
import io
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import types
import zipfile
import zlib

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "Tests", "Fuzz", "Corpus")


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


# safetensors ----------------------------------------------------------------------------------------------------

def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def f32(values):
    return np.asarray(values, dtype="<f4").tobytes()


SAFETENSORS_SMALL = safetensors(
    {"conv.weight": ("F32", [2, 1, 1, 2], f32([1, -2, 3.5, 0])), "conv.bias": ("F32", [2], f32([0.25, -1]))},
    {"format": "pt", "step": "12"})


def make_safetensors():
    write("safetensors", "small_f32.safetensors", SAFETENSORS_SMALL)
    write("safetensors", "dtypes.safetensors", safetensors({
        "f64": ("F64", [2], np.asarray([1.5, -2], "<f8").tobytes()),
        "f16": ("F16", [3], np.asarray([1, 0.5, -65504], "<f2").tobytes()),
        "bf16": ("BF16", [2], bytes([0x80, 0x3F, 0x00, 0xC0])),
        "i64": ("I64", [], np.asarray(7, "<i8").tobytes()),
        "i32": ("I32", [1, 2], np.asarray([1, -1], "<i4").tobytes()),
        "i8": ("I8", [2], bytes([0x7F, 0x80])),
        "u8": ("U8", [2], bytes([0, 255])),
        "bool": ("BOOL", [2], bytes([0, 1])),
        "empty": ("F32", [0, 3], b""),
    }))
    write("safetensors", "header_only.safetensors", safetensors({}, {}))


# PyTorch zip + pickle -------------------------------------------------------------------------------------------

def fake_torch():
    """Modules named like torch's, so that pickle writes the same GLOBALs as torch.save."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    for name in ["FloatStorage", "HalfStorage", "LongStorage", "DoubleStorage", "BFloat16Storage"]:
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch


TORCH = fake_torch()


class Storage:
    def __init__(self, kind, key, raw, numel):
        self.kind, self.key, self.raw, self.numel = kind, key, raw, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce_ex__(self, protocol):
        return (TORCH._utils._rebuild_tensor_v2,
                (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(TORCH, obj.kind), obj.key, "cpu", obj.numel)
        return None


def stored(z, name, data):
    """A stored member with a fixed date, so that the seeds come out the same on every run."""
    z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def torch_save(obj, storages, stem="archive"):
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=2).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        stored(z, f"{stem}/data.pkl", buffer.getvalue())
        stored(z, f"{stem}/byteorder", "little")
        for s in storages:
            stored(z, f"{stem}/data/{s.key}", s.raw)
        stored(z, f"{stem}/version", "3\n")
    return out.getvalue(), buffer.getvalue()


def make_torch():
    w = Storage("FloatStorage", "0", f32([1, 2, 3, 4, 5, 6]), 6)
    b = Storage("FloatStorage", "1", f32([0.5, -0.5]), 2)
    state = collections.OrderedDict([
        ("conv.weight", Tensor(w, 0, [2, 1, 1, 3], [3, 3, 3, 1])),
        ("conv.bias", Tensor(b, 0, [2], [1])),
    ])
    tiny, tiny_pickle = torch_save(state, [w, b], stem="tiny_state_dict")
    write("torch", "tiny_state_dict.pth", tiny)
    # A checkpoint dict around the state dict; views: a transpose, an offset, a scalar; other storage types.
    h = Storage("HalfStorage", "2", np.asarray([1, 2, 3, 4], "<f2").tobytes(), 4)
    n = Storage("LongStorage", "3", np.asarray([5], "<i8").tobytes(), 1)
    views = collections.OrderedDict([
        ("fc.weight", Tensor(w, 0, [3, 2], [1, 3])),
        ("fc.bias", Tensor(w, 4, [2], [1])),
        ("bn.num_batches_tracked", Tensor(n, 0, [], [])),
        ("half", Tensor(h, 1, [3], [1])),
    ])
    checkpoint, _ = torch_save({"epoch": 3, "state_dict": views}, [w, h, n])
    write("torch", "checkpoint_views.pth", checkpoint)
    return tiny, tiny_pickle


def zip64(members):
    """A stored zip whose central directory uses zip64 sizes and offsets, and a zip64 end record."""
    out = io.BytesIO()
    central = []
    for name, data in members:
        offset = out.tell()
        crc = zlib.crc32(data)
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, len(data), len(data), len(encoded), 0))
        out.write(encoded + data)
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF,
                                   0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + encoded + extra)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    record = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members), size, start))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, record, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return out.getvalue()


def make_zip(tiny):
    write("zip", "tiny_state_dict.pth", tiny)
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_STORED) as z:
        stored(z, "a.txt", "stored member\n")
        stored(z, "dir/b.bin", bytes(range(16)))
        z.comment = b"an archive comment"
    write("zip", "plain_with_comment.zip", plain.getvalue())
    write("zip", "zip64.zip", zip64([("x/data.pkl", b"\x80\x02}q\x00."), ("x/data/0", f32([1, 2]))]))


def make_pickle(tiny_pickle, labels_pickle):
    write("pickle", "state_dict.pkl", tiny_pickle)
    write("pickle", "cls_labels_payload.pkl", labels_pickle)
    values = {"none": None, "bools": (True, False), "ints": [0, 255, 65535, -1, 2**31 - 1, -2**40, 2**62],
              "float": 1.5, "text": "é" * 3, "bytes": b"\x00\x01", "long": b"x" * 300, "nested": ((1,), (1, 2), (1, 2, 3))}
    write("pickle", "values_p2.pkl", pickle.dumps(values, protocol=2))
    shared = [1, 2]
    write("pickle", "memo_p4.pkl", pickle.dumps({"a": shared, "b": shared, "c": collections.OrderedDict(x=1)}, 4))
    write("pickle", "bytearray_p5.pkl", pickle.dumps([bytearray(b"ab"), "s"], protocol=5))


# .npy and labels ------------------------------------------------------------------------------------------------

def npy(array, version=None):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=True)
    return buffer.getvalue()


def cls_labels():
    labels = {}
    for i, classes in enumerate([[14], [0, 18], [3, 14, 19]]):
        v = np.zeros(20, dtype=np.float32)
        v[classes] = 1
        labels[f"2007_00{i:04d}"] = v
    return np.array(labels, dtype=object)


def make_npy_and_labels():
    labels = npy(cls_labels())
    write("npy", "cls_labels.npy", labels)
    write("npy", "float32_2x3.npy", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
    write("npy", "bool_v2.npy", npy(np.array([True, False]), version=(2, 0)))
    write("npy", "fortran_f8.npy", npy(np.asfortranarray(np.arange(4, dtype="<f8").reshape(2, 2))))
    write("labels", "cls_labels.npy", labels)
    write("labels", "labels.txt", b"img1 0 14\nimg2\t18\nimg3,1,2\n\n")
    write("labels", "labels.json", json.dumps({"img1": [3], "img2": [1, 2], "img3": []}).encode())
    coco = {"images": [{"id": 9, "file_name": "a_000009.jpg"}, {"id": 25, "file_name": "a_000025.jpg"}],
            "categories": [{"id": i, "name": f"c{i}"} for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16,
                                                                17, 18, 19, 20, 90]],
            "annotations": [{"image_id": 9, "category_id": 1}, {"image_id": 25, "category_id": 90}]}
    write("labels", "coco_20_classes.json", json.dumps(coco).encode())
    header_length = struct.unpack("<H", labels[8:10])[0]  # version 1.0
    return labels[10 + header_length:]  # the pickle after the .npy header


# MXNet and weight dispatch --------------------------------------------------------------------------------------

def mxnet(arrays, magic=0xF993FAC9):
    out = struct.pack("<QQQ", 0x112, 0, len(arrays))
    for _, a in arrays:
        a = np.asarray(a, dtype="<f4")
        if magic in (0xF993FAC9, 0xF993FACA):
            out += struct.pack("<Iii", magic, 0, a.ndim) + struct.pack(f"<{a.ndim}q", *a.shape)
        elif magic == 0xF993FAC8:
            out += struct.pack("<Ii", magic, a.ndim) + struct.pack(f"<{a.ndim}q", *a.shape)
        else:  # legacy: ndim, u32 dims
            out += struct.pack("<I", a.ndim) + struct.pack(f"<{a.ndim}I", *a.shape)
        out += struct.pack("<iii", 1, 0, 0) + a.tobytes()
    out += struct.pack("<Q", len(arrays))
    for name, _ in arrays:
        out += struct.pack("<Q", len(name)) + name.encode()
    return out


def make_mxnet_and_weights(tiny):
    arrays = [("arg:conv1a_weight", np.ones((2, 3, 1, 1))), ("aux:bn7_moving_var", [1, 2]),
              ("arg:linear1000_bias", [0.5])]
    for magic, name in [(0xF993FAC9, "v2"), (0xF993FACA, "v3"), (0xF993FAC8, "v1"), (0, "legacy")]:
        write("mxnet", f"small_{name}.params", mxnet(arrays, magic))
    write("weights", "small.params", mxnet(arrays))
    write("weights", "small.safetensors", SAFETENSORS_SMALL)
    write("weights", "tiny_state_dict.pth", tiny)


# VOC XML, config, images ----------------------------------------------------------------------------------------

def make_xml_and_config():
    write("voc-xml", "parts.xml", b"""<annotation><filename>x.jpg</filename>
  <object><name>person</name><part><name>head</name></part></object>
  <object><name>train</name><bndbox><xmin>1</xmin></bndbox></object>
</annotation>
""")
    latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<annotation><object><name>cat</name></object></annotation>\n'
    write("voc-xml", "latin1_ascii.xml", latin1.encode("latin-1"))
    utf8 = "<annotation><object><name>caf\u00e9</name></object><object><name>dog</name></object></annotation>"
    write("voc-xml", "utf8_bom.xml", b"\xef\xbb\xbf" + utf8.encode())
    full = """dataset: voc
data_root: /data/VOC2012
train_list: /data/VOC2012/ImageSets/Segmentation/train_aug.txt
saliency_root: /data/VOC2012/SALImages
labels: /data/VOC2012/cls_labels.npy
method: eps
arch: resnet38
width_divisor: 1
weights: /weights/ilsvrc-cls_rna-a1_cls1000_ep-0001.params
batch_size: 8
crop_size: 448
resize_size: [256, 512]
max_iters: 20000
lr: 0.01
wt_dec: 0.0005
momentum: 0.0005
tau: 0.4
lam: 0.5
seed: 0
jitter: true
out: runs/voc
checkpoint_every: 500
keep_checkpoints: 3
log_every: 10
workers: 2
threads: 4
allreduce: bucketed
bucket_mb: 25.0
collective_timeout: 900.0
"""
    write("config", "voc_full.yaml", full.encode())
    write("config", "coco_small.yaml", b"""# a comment
dataset: coco
data-root: "/data/coco"   # dashes and quotes
train_list: '/data/coco/train.txt'
method: cam
img_dir: train2014
resize_size: [256, 448]
out: runs/coco
""")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, depth, color, rows, extra=b"", interlace=0):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def make_png():
    write("png", "rgb8_3x2.png", png(3, 2, 8, 2, [bytes(range(9)), bytes(range(9, 18))]))
    write("png", "rgba8_2x2.png", png(2, 2, 8, 6, [bytes(8), bytes(range(8))]))
    write("png", "grey16_2x2.png", png(2, 2, 16, 0, [bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8])]))
    write("png", "grey_alpha_2x1.png", png(2, 1, 8, 4, [bytes([10, 255, 20, 0])]))
    write("png", "grey1_9x2.png", png(9, 2, 1, 0, [b"\xaa\x80", b"\x55\x00"]))
    write("png", "palette_trns_4x1.png", png(4, 1, 2, 3, [b"\x1b"],
                                             png_chunk(b"PLTE", bytes(range(12))) + png_chunk(b"tRNS", b"\x00\x80")))
    write("png", "rgb_trns_1x1.png", png(1, 1, 8, 2, [b"\x01\x02\x03"], png_chunk(b"tRNS", bytes(6))))
    # Adam7 with a 1×1 image: only the first pass holds a pixel.
    write("png", "interlaced_1x1.png", png(1, 1, 8, 0, [b"\x7f"], interlace=1))


def make_from_synth(eps_dist):
    if not os.path.exists(eps_dist):
        print(f"{eps_dist} is not built: the jpeg seeds and synth-* files are not (re)written", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([eps_dist, "synth", "--difficulty", "easy", "--out", tmp, "--train", "2", "--val", "0",
                        "--seed", "7", "--scale", "0.5"], check=True, stdout=subprocess.DEVNULL)

        def first(folder, suffix):
            names = sorted(n for n in os.listdir(os.path.join(tmp, folder)) if n.endswith(suffix))
            return os.path.join(tmp, folder, names[0])

        for folder, target, name in [("JPEGImages", "jpeg", "synth.jpg"), ("SegmentationClassAug", "png",
                                                                          "synth_mask_palette.png"),
                                     ("saliency", "png", "synth_saliency_grey.png"),
                                     ("Annotations", "voc-xml", "synth.xml")]:
            suffix = os.path.splitext(name)[1]
            os.makedirs(os.path.join(OUT, target), exist_ok=True)
            shutil.copy(first(folder, suffix), os.path.join(OUT, target, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eps-dist", default=os.path.join(ROOT, ".build", "release", "eps-dist"))
    args = parser.parse_args()
    make_safetensors()
    tiny, tiny_pickle = make_torch()
    make_zip(tiny)
    labels_pickle = make_npy_and_labels()
    make_pickle(tiny_pickle, labels_pickle)
    make_mxnet_and_weights(tiny)
    make_xml_and_config()
    make_png()
    make_from_synth(args.eps_dist)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"written to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
