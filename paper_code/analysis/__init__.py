"""Computations on trained networks and their importances, beyond the paper's correlations.

- :mod:`~paper_code.analysis.ranking`: the one ordering of weights by importance that pruning and
  top-k sets share (ties broken by position, so counts are exact);
- :mod:`~paper_code.analysis.trained`: a results folder's network and importances after a task, with
  the magnitude and random baselines computed from the checkpoint;
- :mod:`~paper_code.analysis.pruning`: accuracy of the network with the least important weights removed;
- :mod:`~paper_code.analysis.overlap`: Jaccard overlap of the top-k% weights of two importances;
- :mod:`~paper_code.analysis.structure`: how close each importance matrix is to a row × column product,
  and how much of two importances' agreement that unit-level structure carries;
- :mod:`~paper_code.analysis.prune_results`: the ``prune`` command, writing both tables into a results folder;
- :mod:`~paper_code.analysis.across_seeds`: one configuration analysed across its seeds, the small tables the
  book's pages read, and :mod:`~paper_code.analysis.summaries`: the statistics the pages quote from them;
- :mod:`~paper_code.analysis.spread`: when a gap between seed means is within the seed spread;
- :mod:`~paper_code.analysis.explanation`: the paper's eqs. (1)-(3), per sample and as written, on the saved networks;
- :mod:`~paper_code.analysis.variants`: correlations under choices that do not change training (MAS on the
  logits, importances over all rows, biases), recomputed from the saved networks.

Nothing here trains: every function reads a results folder (checkpoints, importances, permutations) or the
tables computed from one.
"""
