"""Analytics for methodologists: how a script's sessions went.

- figures.py: automation rate, handoffs, where sessions wait; two versions compared;
- histogram.py: step times as a mergeable log-scale histogram (p50 / p90 from counts);
- fold.py: history rows folded into counts per element, times, paths, sessions (pure);
- rows.py: the history rows a fold reads, and a fold's counts added to the rollup;
- rollup.py: the worker's pass that folds the history into the rollup, each row once;
- report.py: one script version's analytics over a time range (rollup + rows past it).
"""

from engine.analytics.figures import compare_versions, percentile, script_figures
from engine.analytics.report import AnalyticsRange, script_analytics
from engine.analytics.rollup import roll_up_history

__all__ = [
    "AnalyticsRange",
    "compare_versions",
    "percentile",
    "roll_up_history",
    "script_analytics",
    "script_figures",
]
