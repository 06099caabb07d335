"""The few statistics a table and a comparison need, in plain Python (no NumPy, no SciPy):
Kendall's τ-b, Pearson's r, quantiles, the mean and its standard error, a percentile rank."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence


def kendall_tau(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Kendall's τ-b of two paired sequences (ties accounted), in O(n log n) (Knight's
    algorithm); None when fewer than two pairs, or when either side is constant."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("kendall_tau needs paired sequences of one length")
    if n < 2:
        return None
    pairs = sorted(zip(xs, ys))
    total = n * (n - 1) // 2
    tied_x = _tied_pairs([x for x, _ in pairs])
    tied_xy = _tied_pairs(pairs)
    ys_sorted = [y for _, y in pairs]
    swaps = _sort_counting_swaps(ys_sorted)
    tied_y = _tied_pairs(ys_sorted)
    concordant_minus_discordant = total - tied_x - tied_y + tied_xy - 2 * swaps
    denominator = math.sqrt((total - tied_x) * (total - tied_y))
    return concordant_minus_discordant / denominator if denominator else None


def _tied_pairs(ordered: Sequence[object]) -> int:
    """Pairs of equal items in a sorted sequence."""
    count, run = 0, 1
    for previous, item in zip(ordered, ordered[1:]):
        if item == previous:
            run += 1
        else:
            count += run * (run - 1) // 2
            run = 1
    return count + run * (run - 1) // 2


def _sort_counting_swaps(items: list[float]) -> int:
    """Sort `items` in place (a merge sort) and return how many pairs were out of order."""
    if len(items) < 2:
        return 0
    middle = len(items) // 2
    left, right = items[:middle], items[middle:]
    swaps = _sort_counting_swaps(left) + _sort_counting_swaps(right)
    i = j = k = 0
    while i < len(left) and j < len(right):
        if right[j] < left[i]:
            items[k] = right[j]
            swaps += len(left) - i
            j += 1
        else:
            items[k] = left[i]
            i += 1
        k += 1
    items[k:] = left[i:] + right[j:]
    return swaps


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation; None when fewer than two pairs or either side is constant."""
    n = len(xs)
    if n != len(ys):
        raise ValueError("pearson needs paired sequences of one length")
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else None


def quantile(values: Sequence[float], q: float) -> float:
    """The `q`-quantile (0..1) with linear interpolation between order statistics (NumPy's default)."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    if fraction == 0 or math.isinf(ordered[low]):  # an order statistic itself (inf - inf, inf * 0: no arithmetic on it)
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def mean_se(values: Sequence[float]) -> tuple[float, float | None]:
    """The mean and its standard error (the sample standard deviation over √n; None for one value)."""
    if not values:
        raise ValueError("mean of no values")
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


class Ranks:
    """Percentile ranks against a population: the percentage of it worse than a value, ties
    counting half (the best of the population is near 100, the worst near 0). `sign` -1: the
    smaller the better."""

    def __init__(self, population: Sequence[float]) -> None:
        self.ordered = sorted(population)

    def percentile(self, value: float, sign: float = 1.0) -> float:
        below = bisect.bisect_left(self.ordered, value)
        equal = bisect.bisect_right(self.ordered, value) - below
        worse = below if sign > 0 else len(self.ordered) - below - equal
        return 100.0 * (worse + 0.5 * equal) / len(self.ordered)

    def threshold(self, top: float, sign: float = 1.0) -> float:
        """The worst value in the population's best `top` fraction (0.05: the top 5%)."""
        count = max(1, math.ceil(top * len(self.ordered)))
        return self.ordered[-count] if sign > 0 else self.ordered[count - 1]
