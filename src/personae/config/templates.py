"""``personae init --template NAME``: ready-made ``personae.yml`` files mapping the
documented exports and tables of common systems (Shopify, PrestaShop, HubSpot, Brevo,
Zendesk) to canonical fields and events.

Each template is package data (``config/data/templates/<name>.yml``): a commented
``personae.yml`` whose header says which export screen, API or table each source reads and
where to drop its files. Writing one creates the folder the files go to, never the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from personae.config.loader import CONFIG_FILE
from personae.errors import ProjectError, did_you_mean


@dataclass(frozen=True)
class Template:
    name: str
    #: one line for ``personae init --list-templates``
    summary: str
    #: folders the template's sources read from, created empty by ``init``
    folders: tuple[str, ...]


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "shopify",
            "Shopify admin exports: customers CSV and orders CSV (one row per line item)",
            ("data/shopify",),
        ),
        Template(
            "prestashop",
            "PrestaShop's MySQL tables ps_customer, ps_address and ps_orders",
            (),
        ),
        Template(
            "hubspot",
            "HubSpot CRM exports: contacts and deals (CSV)",
            ("data/hubspot",),
        ),
        Template(
            "brevo",
            "Brevo (ex-Sendinblue): contacts export (CSV), marketing webhook events (JSON lines)",
            ("data/brevo",),
        ),
        Template(
            "zendesk",
            "Zendesk Support API objects: users and tickets (JSON lines)",
            ("data/zendesk",),
        ),
    )
}


def template_names() -> list[str]:
    return list(TEMPLATES)


def template_text(name: str) -> str:
    """The ``personae.yml`` of template ``name``; unknown names are refused with the list."""
    if name not in TEMPLATES:
        raise ProjectError(
            f"--template {name}: no such template{did_you_mean(name, TEMPLATES)}; "
            f"use one of {', '.join(TEMPLATES)} (personae init --list-templates describes them)"
        )
    data = resources.files("personae.config").joinpath("data", "templates", f"{name}.yml")
    return data.read_text(encoding="utf-8")


def write_template_project(directory: Path, name: str) -> Path:
    """Write template ``name``'s ``personae.yml`` into ``directory`` and create the folders
    its sources read from. Refuses to overwrite an existing ``personae.yml``."""
    text = template_text(name)
    config = directory / CONFIG_FILE
    if config.exists():
        raise ProjectError(f"{config} already exists; choose an empty folder or edit it")
    directory.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    for folder in TEMPLATES[name].folders:
        (directory / folder).mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".personae/\n", encoding="utf-8")
    return config
