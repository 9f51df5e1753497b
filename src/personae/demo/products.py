"""The product catalogue as arrays, and people's tastes: what each person buys and browses.

Every product belongs to one or two of a handful of styles (``names.STYLES``). A person's
taste is a mix of styles (Dirichlet weights: most people lean towards one or two) plus a
few favourite products of their own that they buy and look at again. Popularity is
skewed: a few products sell far more than the rest, whatever the style. A purchase or a
product view picks a style from the person's mix, then a product of that style (rarely
one outside it) by popularity, or now and then one of the person's favourites.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from personae.demo import names as vocab
from personae.demo.arrays import IntArray, Rng, Strings, words
from personae.demo.draws import chance, draw_in_groups
from personae.demo.rates import (
    FAVOURITE_PRODUCTS,
    FAVOURITE_SHARE,
    OFF_STYLE_WEIGHT,
    POPULARITY_SIGMA,
    STYLE_CONCENTRATION,
)

FloatArray = npt.NDArray[np.float64]
#: the catalogue's popularity is part of the vocabulary: the same whatever the demo's seed
_POPULARITY_SEED = 20_261_101


@dataclass(frozen=True)
class Catalog:
    """The products as arrays, in the order of ``names.PRODUCTS``."""

    ids: Strings
    names: Strings
    #: index into ``names.CATEGORIES``
    category: IntArray
    category_names: Strings
    #: price in euros
    price: FloatArray
    #: product x style: whether the product belongs to the style
    in_style: npt.NDArray[np.bool_]
    #: style -> the weight of each product when someone of that style buys or browses
    by_style: list[FloatArray]

    @property
    def size(self) -> int:
        return len(self.category)

    def of_category(self, category: int) -> IntArray:
        return np.flatnonzero(self.category == category).astype(np.int64)


@cache
def catalog() -> Catalog:
    products = vocab.PRODUCTS
    category = np.array([p.category for p in products], dtype=np.int64)
    in_style = np.zeros((len(products), len(vocab.STYLES)), dtype=bool)
    for row, product in enumerate(products):
        in_style[row, list(product.styles)] = True
    popularity = np.random.default_rng(_POPULARITY_SEED).lognormal(
        0, POPULARITY_SIGMA, len(products)
    )
    # each category's share of purchases (names.CATEGORIES), split by popularity
    share = np.array([c[2] for c in vocab.CATEGORIES], dtype=np.float64)
    in_category = np.bincount(category, weights=popularity, minlength=len(share))
    base = share[category] * popularity / in_category[category]
    by_style = []
    for s in range(len(vocab.STYLES)):
        weight = base * np.where(in_style[:, s], 1.0, OFF_STYLE_WEIGHT)
        by_style.append(weight / weight.sum())
    return Catalog(
        ids=words([p.id for p in products]),
        names=words([p.name for p in products]),
        category=category,
        category_names=words([c[0] for c in vocab.CATEGORIES]),
        price=np.array([p.price for p in products], dtype=np.float64),
        in_style=in_style,
        by_style=by_style,
    )


@dataclass(frozen=True)
class Tastes:
    """Every person's taste."""

    #: person x style: cumulative style weights (the last column is 1)
    styles: npt.NDArray[np.float32]
    #: person x FAVOURITE_PRODUCTS: products the person comes back to
    favourites: IntArray

    def main_style(self) -> IntArray:
        """Each person's strongest style."""
        weights = np.diff(self.styles, axis=1, prepend=0)
        main: IntArray = np.argmax(weights, axis=1).astype(np.int64)
        return main


def draw_tastes(rng: Rng, size: int) -> Tastes:
    """A style mix per person (Dirichlet, most people lean to one or two) and favourites."""
    mix = rng.gamma(STYLE_CONCENTRATION, 1.0, (size, len(vocab.STYLES))) + 1e-12
    cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    cumulative[:, -1] = 1.0
    styles = cumulative.astype(np.float32)
    persons = np.repeat(np.arange(size, dtype=np.int64), FAVOURITE_PRODUCTS)
    favourites = _by_style(rng, _pick_styles(rng, styles, persons), None)
    return Tastes(styles, favourites.reshape(size, FAVOURITE_PRODUCTS))


def pick_products(
    rng: Rng, tastes: Tastes, persons: IntArray, category: int | None = None
) -> IntArray:
    """A product per row for ``persons`` after their taste: a style of theirs then one of
    its products by popularity, or one of their favourites; in ``category`` if given."""
    products = _by_style(rng, _pick_styles(rng, tastes.styles, persons), category)
    favourite = tastes.favourites[persons, rng.integers(0, FAVOURITE_PRODUCTS, len(persons))]
    use = chance(rng, len(persons), FAVOURITE_SHARE)
    if category is not None:
        use &= catalog().category[favourite] == category
    return np.where(use, favourite, products)


def _pick_styles(rng: Rng, styles: npt.NDArray[np.float32], persons: IntArray) -> IntArray:
    draw = rng.random(len(persons)).astype(np.float32)
    picked = (draw[:, None] > styles[persons]).sum(axis=1)
    style: IntArray = np.minimum(picked, len(vocab.STYLES) - 1).astype(np.int64)
    return style


def _by_style(rng: Rng, style: IntArray, category: int | None) -> IntArray:
    cat = catalog()
    members = np.arange(cat.size) if category is None else cat.of_category(category)
    weights = [w[members].tolist() for w in cat.by_style]
    return draw_in_groups(rng, style, [members] * len(weights), weights)
