"""What kind of mistake a wrong entry looks like, said without the expected value.

A check that prints the expected value is an answer key with one extra step, so a wrong
entry is named together with a diagnosis: the exercise's own listed mistakes first (the
notes' misprint, a missing fan-out contribution, the gradient instead of the HVP), then
the common ones (sign flipped, rounded too coarsely, another entry's value, off by a
factor, transposed). Never a number of the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """How close is right, stated for the student and applied the same way to every entry.

    ``decimals=3``: within 0.001 ("to 3 decimals"); ``significant=4``: within 1 in the 4th
    significant figure (relative 0.001); both: either is enough (a function's output, where
    values near 0 and large values meet); ``exact=True``: whole numbers such as counts.
    """

    decimals: int | None = 3
    significant: int | None = None
    exact: bool = False

    def allowed(self, expected):
        expected = np.asarray(expected, dtype=float)
        if self.exact:
            return np.zeros_like(expected)
        absolute = 10.0 ** -self.decimals if self.decimals is not None else 0.0
        relative = 10.0 ** (1 - self.significant) if self.significant is not None else 1e-12
        return absolute + relative * np.abs(expected)

    def close(self, yours, expected):
        yours, expected = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
        both_nan = np.isnan(yours) & np.isnan(expected)
        same_inf = np.isinf(yours) & (yours == expected)
        with np.errstate(invalid="ignore"):
            near = np.abs(yours - expected) <= self.allowed(expected)
        return both_nan | same_inf | near

    def words(self):
        if self.exact:
            return "exactly, as a whole number"
        if self.significant is not None and self.decimals is not None:
            return f"to {self.decimals} decimals or {self.significant} significant figures"
        if self.significant is not None:
            return f"to {self.significant} significant figures"
        return f"to {self.decimals} decimals"


DEFAULT = Tolerance()
EXACT = Tolerance(decimals=None, exact=True)
TIGHT = Tolerance(decimals=9, significant=10)  # a formula is right or wrong, not rounded
_FACTORS = ((2.0, "2"), (0.5, "1/2"), (-2.0, "−2"), (-0.5, "−1/2"), (10.0, "10"), (0.1, "1/10"), (3.0, "3"),
            (1 / 3, "1/3"))


def diagnose_entries(yours, expected, tolerance=DEFAULT, names=None, mistakes=None, missing=None, carried=None):
    """{flat index: phrase} for every wrong entry, most specific diagnosis first.

    ``mistakes`` maps a diagnosis (a phrase) to a wrong answer of the same shape. A mistake that
    explains all of the student's wrong entries where it differs from the truth names them first;
    one that only matches an entry here and there is tried last (a coincidence is likelier).
    ``carried`` is what each entry should be given the student's own other entries (a trace
    column's rule applied to their rows): an entry that matches it is right but for an earlier slip.
    """
    yours = np.asarray(yours, dtype=float).reshape(-1)
    truth = np.asarray(expected, dtype=float).reshape(-1)
    missing = np.zeros(truth.shape, bool) if missing is None else np.asarray(missing).reshape(-1)
    right = tolerance.close(yours, truth) | missing
    listed = []
    for phrase, wrong in (mistakes or {}).items():
        wrong = np.asarray(wrong, dtype=float)
        if wrong.size == truth.size:
            listed.append((phrase.strip(), wrong.reshape(-1)))
    phrases = {}
    for phrase, wrong in listed:  # whole mistakes: every entry where it differs from the truth matches
        differs = ~tolerance.close(wrong, truth)
        if differs.any() and np.all(tolerance.close(yours[differs], wrong[differs]) | missing[differs]):
            for i in np.flatnonzero(differs & ~right):
                phrases.setdefault(int(i), phrase)
    carried = None if carried is None else np.asarray(carried, dtype=float).reshape(-1)
    for i in np.flatnonzero(~right):
        if int(i) not in phrases:
            if carried is not None and tolerance.close(yours[i], carried[i]):
                phrases[int(i)] = "right for your other rows: the slip is in a row this one depends on"
            else:
                phrases[int(i)] = _phrase(i, yours, truth, tolerance, names, listed)
    return phrases


def whole_answer_diagnosis(yours, expected, tolerance=DEFAULT):
    """A diagnosis that concerns the whole array (transposed), or None."""
    yours, truth = np.asarray(yours, dtype=float), np.asarray(expected, dtype=float)
    if truth.ndim == 2 and truth.shape[0] == truth.shape[1] and truth.shape[0] > 1 \
            and not np.all(tolerance.close(truth, truth.T)) and np.all(tolerance.close(yours, truth.T)):
        return "transposed: your rows are the columns (row i should hold the derivatives of output i)"
    return None


def _phrase(i, yours, truth, tolerance, names, listed):
    mine, right = yours[i], truth[i]
    if not math.isfinite(mine):
        return f"yours is {'nan' if math.isnan(mine) else 'infinite'}: look for a division by zero or a log of 0"
    if right != 0 and tolerance.close(-mine, right):
        return "the sign is flipped"
    loose = Tolerance(decimals=None if tolerance.decimals is None else max(0, tolerance.decimals - 2),
                      significant=None if tolerance.significant is None else max(1, tolerance.significant - 2))
    if tolerance == TIGHT and Tolerance(decimals=3, significant=4).close(mine, right):
        return "close, but not exact: a formula is right or wrong (is this an approximation, such as a finite " \
               "difference?)"
    if not tolerance.exact and tolerance != TIGHT and loose.close(mine, right):
        return f"close, but not {tolerance.words()}: keep more digits"
    for j in range(truth.size):
        if j != i and not tolerance.close(truth[j], right) and tolerance.close(mine, truth[j]):
            other = names[j] if names is not None else f"entry {j}"
            return f"that is the value {other} should have: check the order"
    if right != 0 and mine != 0:
        for factor, text in _FACTORS:
            if tolerance.close(mine, factor * right):
                return f"off by a factor of {text}"
    if tolerance.exact and float(mine).is_integer() and abs(mine - right) == 1:
        return "off by one: count again, the first and the last included"
    for phrase, wrong in listed:
        if not tolerance.close(wrong[i], right) and tolerance.close(mine, wrong[i]):
            return phrase
    return "wrong"


APART = Tolerance(decimals=2)  # a listed mistake must differ from the truth by more than this, wherever it differs


def mistakes_distinct(truth, mistakes, tolerance=DEFAULT):
    """Whether each listed mistake, answered as it is (or rounded to 3 decimals), is diagnosed as itself.

    Each mistake must differ from the truth (by more than 2 decimals wherever it differs at all), and
    where two mistakes share a wrong entry the check must still tell them apart: the diagnosis is run
    on every mistake and must name it, and only it, at every entry it gets wrong.
    """
    truth = np.asarray(truth, dtype=float).reshape(-1)
    for phrase, wrong in mistakes.items():
        wrong = np.asarray(wrong, dtype=float).reshape(-1)
        differs = ~tolerance.close(wrong, truth)
        if not differs.any() or (differs != ~APART.close(wrong, truth)).any():
            return False
        for answer in (wrong, np.round(wrong, 3)):
            named = diagnose_entries(answer, truth, tolerance, None, mistakes)
            if sorted(named) != list(np.flatnonzero(differs)) or set(named.values()) != {phrase.strip()}:
                return False
    return True


def distinguishing_draw(rng, draw, truth, mistakes, tolerance=DEFAULT, tries=1000):
    """Draw inputs until every listed mistake is visible, and told apart, at the drawn numbers."""
    for _ in range(tries):
        inputs = draw(rng)
        if mistakes_distinct(truth(**inputs), mistakes(**inputs), tolerance):
            return inputs
    raise RuntimeError("no draw keeps every mistake visible: widen the choices.")
