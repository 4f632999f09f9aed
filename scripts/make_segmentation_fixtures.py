#!/usr/bin/env python3
"""Makes the reference arrays that Tests/DataTests check the segmentation data
path against (not needed by CI; the outputs are committed):
  - cv2.resize(float32 BGR image, INTER_LINEAR) on down- and up-scales, odd and
    even sizes (an exact halving is OpenCV's INTER_AREA fast path);
  - Pillow's NEAREST resize of label maps (source pixel of every output pixel);
  - deeplab-pytorch's training transform (libs/datasets/voc.py `_augmentation`
    plus base.py's mean subtraction and HWC -> CHW) with the random draws
    (scale, crop offsets, flip) passed in, and its eval transform.
Needs numpy, Pillow and OpenCV (pip install opencv-python-headless numpy pillow):
    python3 scripts/make_segmentation_fixtures.py
"""
import os
import cv2
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DataTests", "Fixtures")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2014)
MEAN_BGR = np.array((104.008, 116.669, 122.675))  # configs/voc12.yaml IMAGE.MEAN (B, G, R)
IGNORE = 255


def source(h, w, name):
    """A textured RGB image (gradients, noise, a hard-edged block) and a palette
    label map of classes 0..3 with some 255, saved as PNG; returns the BGR
    float32 image as cv2.imread(...).astype(np.float32) gives it, and the labels."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 7) % 256, (y * 9) % 256, ((x + y) * 5) % 256], -1).astype(np.float64)
    rgb += rng.normal(0, 30, rgb.shape)
    rgb[h // 3:h // 2, w // 4:w // 2] = [250, 30, 20]
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(out, f"seg_{name}.png"))
    label = ((x // 6 + y // 5) % 4).astype(np.uint8)
    label[0, :] = IGNORE
    im = Image.fromarray(label, mode="P")
    im.putpalette([(37 * i) % 256 for i in range(256 * 3)])  # any colours: the indices are the labels
    im.save(os.path.join(out, f"seg_{name}_label.png"))
    bgr = cv2.imread(os.path.join(out, f"seg_{name}.png"), cv2.IMREAD_COLOR).astype(np.float32)
    assert np.array_equal(bgr, rgb[:, :, ::-1].astype(np.float32))
    return bgr, np.asarray(Image.open(os.path.join(out, f"seg_{name}_label.png")), dtype=np.int32)


sources = {"odd": source(29, 37, "odd"), "even": source(30, 40, "even")}

# cv2.resize on the float image: (source, new width, new height).
resizes = [("odd", 18, 14), ("odd", 27, 21), ("odd", 46, 36), ("odd", 55, 43), ("odd", 9, 31), ("odd", 80, 7),
           ("even", 20, 15), ("even", 30, 22), ("even", 60, 45), ("even", 41, 29), ("even", 13, 60)]
for name, w, h in resizes:
    r = cv2.resize(sources[name][0], (w, h), interpolation=cv2.INTER_LINEAR)
    np.save(os.path.join(out, f"cvresize_{name}_{w}x{h}.npy"), r.astype(np.float32))


def augmentation(image, label, crop, scale, start_h, start_w, flip):
    """deeplab-pytorch VOCAug._augmentation (base_size None) with its draws passed in,
    then _BaseDataset.__getitem__'s mean subtraction and transpose."""
    h, w = label.shape
    h, w = (int(h * scale), int(w * scale))
    image = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    label = Image.fromarray(label).resize((w, h), resample=Image.NEAREST)
    label = np.asarray(label, dtype=np.int64)
    h, w = label.shape
    pad_h = max(crop - h, 0)
    pad_w = max(crop - w, 0)
    pad_kwargs = {"top": 0, "bottom": pad_h, "left": 0, "right": pad_w, "borderType": cv2.BORDER_CONSTANT}
    if pad_h > 0 or pad_w > 0:
        image = cv2.copyMakeBorder(image, value=MEAN_BGR.tolist(), **pad_kwargs)
        label = cv2.copyMakeBorder(label.astype(np.int32), value=IGNORE, **pad_kwargs)
    h, w = label.shape
    assert 0 <= start_h <= h - crop and 0 <= start_w <= w - crop, (h, w, crop, start_h, start_w)
    image = image[start_h:start_h + crop, start_w:start_w + crop]
    label = label[start_h:start_h + crop, start_w:start_w + crop]
    if flip:
        image = np.fliplr(image).copy()
        label = np.fliplr(label).copy()
    image -= MEAN_BGR
    image = image.transpose(2, 0, 1)
    return image.astype(np.float32), label.astype(np.uint8)


# (source, crop, scale, start_h, start_w, flip): padding on both axes, on one, none; each flip.
cases = [("even", 25, 0.5, 0, 0, True), ("odd", 25, 1.5, 7, 19, False), ("odd", 25, 0.75, 0, 2, True),
         ("odd", 31, 1.25, 5, 15, True), ("odd", 29, 1.0, 0, 8, False), ("even", 33, 0.75, 0, 0, False)]
for name, crop, scale, sh, sw, flip in cases:
    image, label = augmentation(sources[name][0], sources[name][1], crop, scale, sh, sw, flip)
    tag = f"segaug_{name}_c{crop}_s{scale}_y{sh}_x{sw}_f{int(flip)}"
    np.save(os.path.join(out, f"{tag}_image.npy"), image)
    np.save(os.path.join(out, f"{tag}_label.npy"), label)

# Pillow NEAREST on label maps (dlp: mode I in the augmentation, mode F in the loss's
# resize_labels): pixel value 1000·y + x names the source pixel each output pixel took.
for (iw, ih, ow, oh) in [(40, 30, 30, 22), (37, 29, 55, 43), (321, 321, 41, 41), (161, 161, 21, 21),
                         (241, 241, 31, 31), (29, 37, 21, 27), (7, 5, 100, 3), (24, 32, 30, 40)]:
    y, x = np.mgrid[0:ih, 0:iw]
    index = (1000 * y + x).astype(np.int32)
    r = np.asarray(Image.fromarray(index).resize((ow, oh), resample=Image.NEAREST), dtype=np.int32)
    as_float = np.asarray(Image.fromarray(index.astype(np.float32)).resize((ow, oh), resample=Image.NEAREST))
    assert np.array_equal(r, as_float.astype(np.int32))
    np.save(os.path.join(out, f"pilnearest_{iw}x{ih}_to_{ow}x{oh}.npy"), r)

# Eval transform (augment False): the whole image, mean subtracted, CHW.
image = sources["odd"][0].copy()
image -= MEAN_BGR
np.save(os.path.join(out, "segeval_odd_image.npy"), image.transpose(2, 0, 1).astype(np.float32))
print("fixtures written to", os.path.abspath(out), "with OpenCV", cv2.__version__)
