"""Scale runs (``fraudforge bench scale``): generation and features at growing sizes, each
point in a fresh process pinned to its cores, reported as JSON, Markdown and a PNG plot."""

from fraudforge.bench.scale import DEFAULT_ROWS, LARGE_ROWS, QUICK_ROWS, Point, ScaleConfig, sweep
from fraudforge.bench.scale_report import ScaleReport, build_report, read_report, write_outputs

__all__ = [
    "DEFAULT_ROWS",
    "LARGE_ROWS",
    "QUICK_ROWS",
    "Point",
    "ScaleConfig",
    "ScaleReport",
    "build_report",
    "read_report",
    "sweep",
    "write_outputs",
]
