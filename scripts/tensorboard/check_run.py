#!/usr/bin/env python3
"""Reads a run's TensorBoard event files with TensorBoard's own reader and
compares every scalar with RUN_DIR/metrics.jsonl.

    pip install tensorboard
    python3 scripts/tensorboard/check_run.py RUN_DIR

TensorBoard's EventAccumulator loads the folder as `tensorboard --logdir` does
with its Python loader (files in name order; a session's SessionLog START drops
what earlier sessions logged from that step on). Exit 0 when every tag holds
exactly the steps of metrics.jsonl with the same values (as float32) and wall
times within a millisecond of the timestamps; else 1, naming the differences.
"""
import datetime
import glob
import json
import os
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator

TAGS = {
    "loss/total": lambda r: r["loss"],
    "loss/cls": lambda r: r["loss_cls"],
    "loss/sal": lambda r: r["loss_sal"],
    "lr": lambda r: r["lr"],
    "images_per_s": lambda r: r["images_per_s"],
    "time/data": lambda r: r["time"]["data"],
    "time/forward": lambda r: r["time"]["forward"],
    "time/backward": lambda r: r["time"]["backward"],
    "time/allreduce": lambda r: r["time"]["allreduce"],
    "time/step": lambda r: r["time"]["step"],
}


def main(run):
    with open(os.path.join(run, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    files = sorted(glob.glob(os.path.join(run, "events.out.tfevents.*")))
    acc = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    tags = sorted(acc.Tags()["scalars"])
    print(f"{run}: {len(files)} event file(s), {len(records)} metrics records, tags: {', '.join(tags)}")
    problems = []
    if set(tags) != set(TAGS):
        problems.append(f"tags {tags}, expected {sorted(TAGS)}")
    worst_wall = 0.0
    for tag, value in TAGS.items():
        if tag not in tags:
            continue
        events = acc.Scalars(tag)
        steps = [e.step for e in events]
        if steps != [r["step"] for r in records]:
            problems.append(f"{tag}: steps {steps} differ from metrics.jsonl's {[r['step'] for r in records]}")
            continue
        for e, r in zip(events, records):
            if np.float32(e.value) != np.float32(value(r)):
                problems.append(f"{tag} at step {e.step}: {e.value} in the events, {value(r)} in metrics.jsonl")
            stamp = datetime.datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
            stamp = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
            worst_wall = max(worst_wall, abs(e.wall_time - stamp))
    if worst_wall > 1e-3:
        problems.append(f"wall times differ from the timestamps by up to {worst_wall:.4f} s")
    for r in records[-3:]:
        print(
            f"  step {r['step']}: loss/total {acc.Scalars('loss/total')[records.index(r)].value:.6f} "
            f"(metrics {r['loss']:.6f}), lr {r['lr']:.6g}, images_per_s {r['images_per_s']:.2f}, window {r['window']}"
        )
    if problems:
        print("MISMATCH:\n  " + "\n  ".join(problems))
        return 1
    print(f"OK: {len(TAGS)} tags × {len(records)} steps equal metrics.jsonl; wall times within {worst_wall * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
