"""Reads a TensorBoard log directory with tensorboard's EventAccumulator; prints JSON:
{"file_version": ..., "scalars": {tag: [[step, value], ...]}, "histograms": {tag: [[step, num, sum]]}}"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ea = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "histograms": 0})
ea.Reload()
tags = ea.Tags()
out = {
    "file_version": ea.file_version,
    "scalars": {t: [[e.step, e.value] for e in ea.Scalars(t)] for t in tags["scalars"]},
    "histograms": {
        t: [[e.step, e.histogram_value.num, e.histogram_value.sum] for e in ea.Histograms(t)]
        for t in tags["histograms"]
    },
}
print(json.dumps(out))
