"""importance-correlations: the library behind the companion to Kutalev (2022).

Public API::

    from paper_code import Config, run_experiment, load_results, METHODS

    results = run_experiment(Config(tasks=3, epochs=1), "results/small")
    results.correlations  # pair, layer, task, pearson, spearman
"""

from paper_code._version import __version__
from paper_code.config import METHOD_NAMES, PAPER_PAIRS, Config, Pair, parse_pair
from paper_code.errors import ConfigError, DataError, PaperCodeError, ResultsError
from paper_code.experiment import cached_run, run_experiment
from paper_code.importance import METHODS, post_training_importances
from paper_code.results import Results, load_results

__all__ = [
    "METHODS",
    "METHOD_NAMES",
    "PAPER_PAIRS",
    "Config",
    "ConfigError",
    "DataError",
    "Pair",
    "PaperCodeError",
    "Results",
    "ResultsError",
    "load_results",
    "parse_pair",
    "post_training_importances",
    "run_experiment",
    "cached_run",
    "__version__",
]
