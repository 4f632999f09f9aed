#!/usr/bin/env python3
"""Saves torch.save(model.state_dict()) of the fixture model (the same weights as
the param.* tensors of resnet38_w16_eps.safetensors: fixture_common.build_fixture_model,
width_divisor 16, 21 outputs, same seed) for the Swift .pth (zip + pickle) reader:

    python3 scripts/pytorch/make_state_dict_fixture.py [--out DIR] [--keep-explicit]

Writes resnet38_w16_state_dict.pth with the default torch.save format (zip
archive: <stem>/data.pkl, <stem>/data/<key>, ...). Also saves with
_use_new_zipfile_serialization=True spelled out, under the same file name in a
temporary folder (the archive's inner folder is named after the file), and
checks that both archives have the same members and the same bytes in each
member (allowing .data/serialization_id to differ, although with torch 2.13 it
is identical too: the whole file is byte-identical and byte-deterministic);
--keep-explicit also keeps that copy as resnet38_w16_state_dict_explicit_zip.pth
(not committed: it would only duplicate 1.7 MB). Finally reloads the file with
torch.load(weights_only=True) and compares every tensor with the model.
"""
import argparse
import os
import shutil
import sys
import tempfile
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import build_fixture_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "EngineTests", "Fixtures"))
NAME = "resnet38_w16_state_dict.pth"


def members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--keep-explicit", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = build_fixture_model()
    sd = model.state_dict()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, NAME)
    torch.save(sd, path)

    tmp = tempfile.mkdtemp()
    try:
        explicit = os.path.join(tmp, NAME)
        torch.save(sd, explicit, _use_new_zipfile_serialization=True)
        a, b = members(path), members(explicit)
        assert list(a) == list(b), (list(a), list(b))
        differing = [k for k in a if a[k] != b[k]]
        assert all(k.endswith("/.data/serialization_id") for k in differing), differing
        print(f"explicit _use_new_zipfile_serialization=True: same {len(a)} members, "
              f"bytes differ only in {differing or 'nothing'}")
        if args.keep_explicit:
            shutil.copy(explicit, os.path.join(args.out, "resnet38_w16_state_dict_explicit_zip.pth"))
    finally:
        shutil.rmtree(tmp)

    loaded = torch.load(path, weights_only=True)
    assert list(loaded) == list(sd)
    for k, v in sd.items():
        assert loaded[k].dtype == v.dtype and torch.equal(loaded[k], v), k
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(sd)} entries); torch.load round trip OK")
    names = list(members(path))
    print("  members:", ", ".join(n for n in names if "/data/" not in n),
          f"+ {sum('/data/' in n for n in names)} storages data/0..")


if __name__ == "__main__":
    main()
