"""Symbolic derivations with sympy. Importing this package imports sympy.

Each topic module (:mod:`inferecon.symbolic.lifecycle`, ...) defines its symbols once
(``positive=True``, LaTeX names such as ``r"k_\\mathrm{kv}"``) and functions that return the
derived expressions. Tests lambdify every result and compare it with the numeric function of
the same name in the package on a grid of inputs.
"""
