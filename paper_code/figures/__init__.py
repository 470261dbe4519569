"""Plotly figure builders, one module per kind of page, and the look they share (:mod:`.style`).

With :mod:`paper_code.dashboard`, the only place plotly is imported; each module imports it through
:func:`paper_code.extras.require`, so a plain install reaching a figure gets one line naming the ``book``
extra. Nothing here trains a network, reads a checkpoint or writes page text.
"""
