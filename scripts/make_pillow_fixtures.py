#!/usr/bin/env python3
"""Makes the Pillow reference images that Tests/DataTests check the Swift
bicubic resize and colour jitter against (not needed by CI; the outputs are
committed). Needs numpy and Pillow 11 (pip install "pillow==11.3.0" numpy):
    python3 scripts/make_pillow_fixtures.py

Why Pillow 11: the reference (2021) ran Pillow 8, whose resize always does the
horizontal pass first; Pillow 13 (PR #9549) runs the vertical pass first when
the height shrinks much more than the width, which moves some pixels by up to
~10 grey levels. eps-dist reproduces the reference's order.
"""
import os
import numpy as np
import PIL
from PIL import Image, ImageEnhance

assert int(PIL.__version__.split(".")[0]) < 13, "use Pillow < 13 (see the docstring)"

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DataTests", "Fixtures")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1234)

# A textured RGB source: smooth gradients plus noise and hard edges.
h, w = 29, 37
y, x = np.mgrid[0:h, 0:w]
src = np.stack([(x * 7) % 256, (y * 9) % 256, ((x + y) * 5) % 256], -1).astype(np.float64)
src += rng.normal(0, 25, src.shape)
src[10:18, 12:25] = [250, 30, 20]
src = np.clip(src, 0, 255).astype(np.uint8)
Image.fromarray(src).save(os.path.join(out, "source.png"))
Image.fromarray(src[:, :, 1]).save(os.path.join(out, "source_grey.png"))

for (tw, th) in [(18, 14), (9, 7), (74, 58), (50, 21), (37, 60)]:
    Image.fromarray(src).resize((tw, th), Image.BICUBIC).save(os.path.join(out, f"bicubic_{tw}x{th}.png"))
    Image.fromarray(src[:, :, 1]).resize((tw, th), Image.BICUBIC).save(os.path.join(out, f"bicubic_grey_{tw}x{th}.png"))

img = Image.fromarray(src)
ImageEnhance.Brightness(img).enhance(1.27).save(os.path.join(out, "jitter_brightness_1.27.png"))
ImageEnhance.Brightness(img).enhance(0.71).save(os.path.join(out, "jitter_brightness_0.71.png"))
ImageEnhance.Contrast(img).enhance(0.74).save(os.path.join(out, "jitter_contrast_0.74.png"))
ImageEnhance.Contrast(img).enhance(1.3).save(os.path.join(out, "jitter_contrast_1.3.png"))
ImageEnhance.Color(img).enhance(1.22).save(os.path.join(out, "jitter_saturation_1.22.png"))
ImageEnhance.Color(img).enhance(0.7).save(os.path.join(out, "jitter_saturation_0.7.png"))

def adjust_hue(im, factor):
    # torchvision.transforms.functional_pil.adjust_hue
    hh, s, v = im.convert("HSV").split()
    np_h = np.array(hh, dtype=np.uint8)
    with np.errstate(over="ignore"):
        np_h += np.array(factor * 255).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert("RGB")

adjust_hue(img, 0.07).save(os.path.join(out, "jitter_hue_0.07.png"))
adjust_hue(img, -0.09).save(os.path.join(out, "jitter_hue_-0.09.png"))
print("fixtures written to", os.path.abspath(out))
