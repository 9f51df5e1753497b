"""The demo's ``personae.yml``: the template shipped in ``data/personae.yml``, dated and
given its engine."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

from personae.engine.registry import engine_names
from personae.profile.predict.lifetime import predictions_available

#: the package data file holding the template (``{as_of}`` is replaced by the anchor date)
CONFIG_TEMPLATE_FILE = "personae.yml"


@cache
def config_template() -> str:
    """The demo's ``personae.yml`` before its ``{as_of}`` date is filled in."""
    return _data(CONFIG_TEMPLATE_FILE) or ""


def _data(name: str) -> str | None:
    data = resources.files("personae.demo").joinpath("data", name)
    return data.read_text(encoding="utf-8") if data.is_file() else None


def engine_section(engine: str) -> str:
    """The ``engine:`` section naming ``engine``: the commented one shipped as
    ``data/engine_<name>.yml`` when there is one, else just its type."""
    if engine not in engine_names():
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(engine_names())}")
    return _data(f"engine_{engine}.yml") or f"engine:\n  type: {engine}\n"


#: the template's lines between these markers need the predictions' libraries
PREDICTIONS_START, PREDICTIONS_END = "# >>> predictions", "# <<< predictions"
WITHOUT_PREDICTIONS = (
    "# Predicted traits (lifetime value, churn risk, next order, product affinity) are left\n"
    "# out: they need pymc-marketing and scikit-learn, `pip install 'personae[predict]'`,\n"
    "# then `personae demo` again (docs/predictions.md).\n"
)


def without_predictions(text: str) -> str:
    """``text`` without its blocks between the predictions markers, saying so at the top."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker.startswith(PREDICTIONS_START):
            inside = True
        elif marker.startswith(PREDICTIONS_END):
            inside = False
        elif not inside:
            kept.append(line)
    body = "".join(kept)
    return body.replace("\nname: demo\n", "\n" + WITHOUT_PREDICTIONS + "name: demo\n", 1)


def config_text(
    anchor: dt.date, engine: str | None = None, *, predictions: bool | None = None
) -> str:
    """The demo's ``personae.yml``, with comments explaining each source; ``engine`` is
    the engine it names (the default engine needs no section); ``predictions`` keeps the
    predicted traits and what uses them (default: when their libraries are installed)."""
    text = config_template().replace("{as_of}", anchor.isoformat())
    if predictions is None:
        predictions = predictions_available()
    if not predictions:
        text = without_predictions(text)
    if engine is not None and engine != engine_names()[0]:
        text = text.replace("\nname: demo\n", "\nname: demo\n" + engine_section(engine), 1)
    return text
