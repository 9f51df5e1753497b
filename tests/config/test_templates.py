"""Issue 22, "mappings for common systems": `personae init --template NAME` writes a
personae.yml for a system's documented exports; each runs on a fixture in
test_template_<name>.py. Here: the command itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.templates import init_template, invoke
from personae.config.loader import load_config
from personae.config.templates import TEMPLATES, template_names, template_text

# --------------------------------------------------------------------------- the command


def test_every_template_validates_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validate checks that a database URL's placeholders resolve (prestashop's password)
    monkeypatch.setenv("PRESTASHOP_DB_PASSWORD", "from-the-secrets-manager")
    for name in template_names():
        project = init_template(tmp_path, name)
        text = (project / "personae.yml").read_text()
        assert text.startswith("# personae.yml for"), name
        for folder in TEMPLATES[name].folders:
            assert (project / folder).is_dir(), (name, folder)
        code, out = invoke("--project", str(project), "validate")
        assert code == 0, (name, out)
        assert "personae.yml is valid" in out
        assert load_config(project).sources, name


def test_templates_ship_as_package_data() -> None:
    # a non-editable install ships what pyproject.toml's package-data names
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    assert '"config/data/templates/*.yml"' in pyproject.read_text()
    for name in template_names():
        assert template_text(name).startswith("# personae.yml for")


def test_list_templates_names_each_one() -> None:
    code, out = invoke("init", "--list-templates")
    assert code == 0, out
    for name in ("shopify", "prestashop", "hubspot", "brevo", "zendesk"):
        assert name in out


def test_an_unknown_template_is_refused_with_the_list_and_the_closest(tmp_path: Path) -> None:
    code, out = invoke("init", "--template", "shopfy", str(tmp_path / "p"))
    assert code == 1
    assert "no such template" in out and "did you mean 'shopify'?" in out
    assert "shopify, prestashop, hubspot, brevo, zendesk" in out
    assert not (tmp_path / "p" / "personae.yml").exists()


def test_a_template_never_overwrites_a_project(tmp_path: Path) -> None:
    project = init_template(tmp_path, "hubspot")
    code, out = invoke("init", "--template", "shopify", str(project))
    assert code == 1 and "already exists" in out
    assert "HubSpot" in (project / "personae.yml").read_text()


def test_init_without_a_template_writes_the_starter_as_before(tmp_path: Path) -> None:
    code, out = invoke("init", str(tmp_path))
    assert code == 0, out
    assert (tmp_path / "data" / "customers.csv").exists()
    assert "name: my-brand" in (tmp_path / "personae.yml").read_text()


def test_init_with_a_template_says_where_the_files_go(tmp_path: Path) -> None:
    code, out = invoke("init", "--template", "brevo", str(tmp_path / "shop"))
    assert code == 0, out
    flat = " ".join(out.split())
    assert f"what to put in {tmp_path / 'shop' / 'data' / 'brevo'}/" in flat
    assert (tmp_path / "shop" / "data" / "brevo").is_dir()
    assert not list((tmp_path / "shop" / "data" / "brevo").iterdir())  # no data invented
