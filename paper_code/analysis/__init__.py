"""Computations on trained networks and stored importances, below the pages that show them."""
