#!/usr/bin/env python3
"""Writes the TensorBoard event-file fixture of eps-dist's writer test.

TensorBoard's own record writer (tensorboard.summary.writer.record_writer:
TFRecord framing, masked CRC-32C) writes Event protobufs built with
TensorBoard's event_pb2, at fixed wall times, into
Tests/LauncherTests/Fixtures/tensorboard.events; the events are also listed in
tensorboard-events.json, from which the Swift test
(TensorBoardEventsTests) encodes the same events and compares bytes.

    pip install tensorboard
    python3 scripts/tensorboard/make_event_fixture.py
"""
import json
import os

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LauncherTests", "Fixtures")

# What a resumed session writes: the file version, a START at its first step,
# then scalar summaries. Values cover a 0 (a oneof member: still written), a
# negative, a tiny and a large value, a step of 0 (omitted field), a step that
# needs a multi-byte varint and a wall time of whole seconds.
EVENTS = [
    {"kind": "file_version", "wall_time": 1700000000.5},
    {"kind": "session_start", "wall_time": 1700000001.25, "step": 11},
    {
        "kind": "scalars",
        "wall_time": 1700000002.125,
        "step": 12,
        "scalars": [
            ["loss/total", 0.8731],
            ["loss/cls", 0.6524],
            ["loss/sal", 0.0],
            ["lr", 0.0099],
            ["images_per_s", 12.5],
            ["time/data", 0.0013],
        ],
    },
    {"kind": "scalars", "wall_time": 1700000003.0, "step": 0, "scalars": [["x", -1.5]]},
    {
        "kind": "scalars",
        "wall_time": 1700000004.75,
        "step": 300000,
        "scalars": [["loss/total", 3.0e-9], ["images_per_s", 123456.789], ["time/step", 1e30]],
    },
]


def event(spec):
    e = event_pb2.Event(wall_time=spec["wall_time"], step=spec.get("step", 0))
    if spec["kind"] == "file_version":
        e.file_version = "brain.Event:2"
    elif spec["kind"] == "session_start":
        e.session_log.status = event_pb2.SessionLog.START
    else:
        e.summary.CopyFrom(
            summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in spec["scalars"]])
        )
    return e


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "tensorboard.events"), "wb") as f:
        writer = RecordWriter(f)
        for spec in EVENTS:
            writer.write(event(spec).SerializeToString())
    with open(os.path.join(FIXTURES, "tensorboard-events.json"), "w") as f:
        json.dump(EVENTS, f, indent=1)
        f.write("\n")
    print("wrote", len(EVENTS), "events to", os.path.normpath(FIXTURES))


if __name__ == "__main__":
    main()
