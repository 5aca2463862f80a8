"""Analytics for methodologists: how a script's sessions went.

- figures.py: automation rate, handoffs, where sessions wait; two versions compared.
"""

from engine.analytics.figures import compare_versions, percentile, script_figures

__all__ = ["compare_versions", "percentile", "script_figures"]
