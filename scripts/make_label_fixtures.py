#!/usr/bin/env python3
"""Writes label-file fixtures for Tests/DataTests the way users have them:
a cls_labels.npy as the reference stores it (np.save of a dict of float32
multi-hot vectors) and a tiny COCO instances JSON. Needs numpy.
    python3 scripts/make_label_fixtures.py
"""
import json, os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DataTests", "Fixtures")
labels = {}
for i, classes in enumerate([[14], [0, 18], [3, 14, 19], [6]]):
    v = np.zeros(20, dtype=np.float32)
    v[classes] = 1.0
    labels[f"2007_00{i:04d}"] = v
np.save(os.path.join(out, "cls_labels.npy"), labels)

coco = {
    "images": [{"id": 9, "file_name": "COCO_train2014_000000000009.jpg"},
               {"id": 25, "file_name": "COCO_train2014_000000000025.jpg"}],
    "categories": [{"id": i, "name": f"c{i}"} for i in [90, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20,
        21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52,
        53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85,
        86, 87, 88, 89]],
    "annotations": [{"image_id": 9, "category_id": 1}, {"image_id": 9, "category_id": 90},
                    {"image_id": 25, "category_id": 25}, {"image_id": 9, "category_id": 1}],
}
with open(os.path.join(out, "instances_tiny.json"), "w") as f:
    json.dump(coco, f)
print("written to", os.path.abspath(out))
