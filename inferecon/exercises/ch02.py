"""Answer checks for chapter 2 (Chinchilla scaling laws). Values come from :mod:`inferecon.scaling`."""

from __future__ import annotations

from .. import scaling as sc
from . import Answer

__all__ = ["ANSWERS"]

ANSWERS: dict[str, Answer] = {
    "ch2-ex2": Answer(
        compute=lambda: float(sc.compute_optimal_tokens_per_param(sc.BESIROGLU_2024, 1e25)),
        rtol=0.02, unit="tokens per parameter",
        hint="D*/N* = G^-2 (C/6)^((alpha-beta)/(alpha+beta)) with the Besiroglu constants; C = 1e25.",
    ),
    "ch2-ex3": Answer(
        compute=lambda: float(sc.compute_optimal_params(sc.HOFFMANN_2022_TEX, sc.GOPHER_BUDGET_FLOP)),
        rtol=0.02, unit="parameters",
        hint="N* = G (C/6)^(beta/(alpha+beta)) with E=1.6934, alpha=0.3392, beta=0.2849, A=406.4, "
             "B=410.7 and C = 5.76e23.",
    ),
    "ch2-ex4": Answer(
        compute=lambda: float(sc.loss(sc.BESIROGLU_2024, 70e9, 1.4e12)),
        rtol=1e-3, unit="nats per token",
        hint="Evaluate E + A/N^alpha + B/D^beta with the refit's constants at N = 70e9, D = 1.4e12.",
    ),
    "ch2-ex5": Answer(
        compute=lambda: float(sc.compute_efficiency(sc.HOFFMANN_2022, 70e9, 1.4e12)),
        rtol=0.01, unit="fraction (0-1)",
        hint="Find the loss of 70B/1.4T under the printed fit, the compute-optimal (N, D) for that "
             "loss, and divide its 6ND by 6 x 70e9 x 1.4e12.",
    ),
}
