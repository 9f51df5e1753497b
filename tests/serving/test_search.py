"""Person search over the serving store: every route (person id, retired id, e-mail,
phone, user id, loyalty card, name with typos, without accents, swapped, as a prefix,
a maiden name), encryption (exact words only), the CLI, and persons the streaming worker
created or merged since the publish."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.collect import Served, ServeFactory
from helpers.serving import CONFIG as SHOP_CONFIG
from helpers.serving import build_shop
from personae.cli.main import app
from personae.pipeline import run
from personae.privacy.erasure import erase
from personae.privacy.person import Selector, find_person
from personae.project import STATE_DIR, Project
from personae.protect.encryption import KEY_ENV, new_master_key
from personae.serving.names import name_tokens, query_tokens
from personae.serving.search import PersonSearch, SearchHit
from personae.serving.store import ServingError, ServingPaths

CONFIG = """
name: people
as_of: 2026-03-31
defaults: {phone_region: FR}
serving: {publish: true}
sources:
  crm:
    kind: people
    path: data/crm.csv
    record_id: id
    fields:
      customer_id: id
      email: email
      phone: phone
      first_name: first_name
      last_name: last_name
      loyalty_id: card
      city: city
  shop:
    kind: people
    path: data/shop_*.csv
    record_id: id
    fields:
      user_id: user_id
      email: email
      first_name: first_name
      last_name: last_name
"""

CRM = """\
id,email,phone,first_name,last_name,card,city
C1,Jeanne.Martin@Mail.fr,06 12 34 56 78,Jeanne,Martin,L-100,Paris
C2,helene.lefevre@mail.fr,+33 6 98 76 54 32,Hélène,Lefèvre,L-200,Lyon
C3,jp@mail.fr,,Jean-Pierre,de la Fontaine,,Nantes
C4,paul.martin@mail.fr,,Paul,Martin,,Lille
C5,bernadette@mail.fr,,Bernadette,Rousseau,,Brest
C6,zoe@mail.fr,,Zoé,Petit,,Nice
C7,louise@mail.fr,,Louise,Dubois,,Metz
"""
#: Jeanne's shop account, under her maiden name; Zoé's shop account (which a later run
#: links to her CRM record: the shop person's id retires)
SHOP_1 = """\
id,user_id,email,first_name,last_name
S1,u-1,jeanne.martin@mail.fr,Jeanne,Dubois
S2,u-1,jeanne.martin@mail.fr,Jeanne,Martin
S3,u-9,zoe.shop@mail.fr,Zoe,Petit
"""
SHOP_2 = """\
id,user_id,email,first_name,last_name
S4,u-9,zoe@mail.fr,Zoe,Petit
"""


def _write(root: Path, extra: str = "") -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "personae.yml").write_text(textwrap.dedent(CONFIG) + extra, encoding="utf-8")
    (root / "data" / "crm.csv").write_text(CRM, encoding="utf-8")
    (root / "data" / "shop_1.csv").write_text(SHOP_1, encoding="utf-8")


def _build(root: Path, extra: str = "") -> None:
    _write(root, extra)
    with Project.load(root) as project:
        run(project)
    (root / "data" / "shop_2.csv").write_text(SHOP_2, encoding="utf-8")
    with Project.load(root) as project:
        run(project)


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("people")
    _build(root)
    return root


@pytest.fixture
def search(people: Path) -> PersonSearch:
    return PersonSearch(people / STATE_DIR, None)


def _one(hits: list[SearchHit]) -> SearchHit:
    assert len(hits) == 1, [(h.person_id, h.matched_on, h.matched_value) for h in hits]
    return hits[0]


def _person(search: PersonSearch, email: str) -> int:
    return _one(search.search(email)).person_id


def _names(hits: list[SearchHit]) -> list[str]:
    return [f"{h.profile['first_name']} {h.profile['last_name']}" for h in hits]


def test_tokens_are_name_keys_of_each_word_and_of_the_whole_name() -> None:
    assert name_tokens("Jean-Pierre") == ["jean", "pierre", "jeanpierre"]
    assert name_tokens("de la Fontaine") == ["de", "la", "fontaine", "delafontaine"]
    assert name_tokens("Lefèvre") == ["lefevre"]
    assert query_tokens("  Hélène  O'Neil 42 ") == ["helene", "o", "neil"]


def test_an_email_finds_its_person_whatever_its_case(search: PersonSearch) -> None:
    hit = _one(search.search("  JEANNE.martin@mail.FR "))
    assert (hit.matched_on, hit.matched_value, hit.score) == ("email", "jeanne.martin@mail.fr", 1)
    assert hit.profile["first_name"] == "Jeanne"
    assert hit.profile["city"] == "Paris"
    assert hit.profile["record_count"] == 3


@pytest.mark.parametrize(
    "query", ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33612345678", "06.12.34.56.78"]
)
def test_a_phone_in_any_format_finds_its_person(search: PersonSearch, query: str) -> None:
    hit = _one(search.search(query))
    assert (hit.matched_on, hit.matched_value) == ("phone", "+33612345678")
    assert hit.profile["email"] == "jeanne.martin@mail.fr"


def test_a_phone_without_its_country_code_reads_in_the_default_region(
    search: PersonSearch,
) -> None:
    assert _one(search.search("06 98 76 54 32")).profile["first_name"] == "Hélène"
    assert search.search("06 98 76 54 32", default_region="BE") == []


def test_a_user_id_a_loyalty_card_and_a_customer_id_find_their_person(
    search: PersonSearch,
) -> None:
    jeanne = _person(search, "jeanne.martin@mail.fr")
    for query, kind in (("u-1", "user_id"), ("L-100", "loyalty_id"), ("C1", "customer_id")):
        hit = _one(search.search(query))
        assert (hit.person_id, hit.matched_on, hit.matched_value) == (jeanne, kind, query)
    assert _one(search.search("loyalty_id:L-200")).profile["first_name"] == "Hélène"
    assert search.search("loyalty_id:u-1") == []  # a typed query asks that type only


def test_a_person_id_and_a_retired_id_find_the_live_person(search: PersonSearch) -> None:
    zoe = _person(search, "zoe@mail.fr")
    for query in (str(zoe), f"#{zoe}", f"# {zoe}", f"person_id:{zoe}"):
        hit = _one(search.search(query))
        assert (hit.person_id, hit.matched_on, hit.matched_value) == (zoe, "person_id", str(zoe))
    retired = search.store.links(zoe)
    assert retired, "the second run merged Zoé's shop person into her CRM person"
    hit = _one(search.search(f"#{retired[0]}"))
    assert (hit.person_id, hit.matched_on, hit.matched_value) == (
        zoe,
        "retired_person_id",
        str(retired[0]),
    )
    assert search.search("#999999") == []


def test_a_name_with_a_typo_finds_the_person(search: PersonSearch) -> None:
    hit = _one(search.search("Jeane Martin"))
    assert (hit.matched_on, hit.matched_value) == ("name", "jeanne martin")
    assert hit.score == pytest.approx((0.6 + 1.0) / 2)
    # two edits in a long word; one edit in a short one only
    assert _names(search.search("Bernadtete Rousseua")) == ["Bernadette Rousseau"]
    assert search.search("Jnaen Martin") == []


def test_accents_and_case_do_not_matter_either_way(search: PersonSearch) -> None:
    for query in ("helene lefevre", "HÉLÈNE LEFÈVRE", "Hélene Lefevre"):
        hit = _one(search.search(query))
        assert (hit.profile["first_name"], hit.score) == ("Hélène", 1.0)
    assert _names(search.search("Zoé Petit")) == ["Zoé Petit"]
    assert _names(search.search("zoe petit")) == ["Zoé Petit"]


def test_first_and_last_name_in_either_order(search: PersonSearch) -> None:
    assert _names(search.search("Lefèvre Hélène")) == ["Hélène Lefèvre"]
    assert _names(search.search("Fontaine Jean-Pierre")) == ["Jean-Pierre de la Fontaine"]
    assert _names(search.search("jeanpierre")) == ["Jean-Pierre de la Fontaine"]


def test_a_prefix_finds_and_exact_words_rank_first(search: PersonSearch) -> None:
    assert _names(search.search("Bern Rou")) == ["Bernadette Rousseau"]
    hits = search.search("Mart")
    assert sorted(_names(hits)) == ["Jeanne Martin", "Paul Martin"]
    assert {h.score for h in hits} == {0.8}
    # exact before fuzzy or prefix; among equals, the person with more records first
    hits = search.search("Martin")
    assert _names(hits) == ["Jeanne Martin", "Paul Martin"]
    assert hits[0].profile["record_count"] > hits[1].profile["record_count"]
    assert search.search("Martin", limit=1)[0].profile["first_name"] == "Jeanne"
    assert search.search("Ma") == []  # two letters: exact words only


def test_a_maiden_name_seen_in_any_record_finds_the_person(search: PersonSearch) -> None:
    hit = _one(search.search("jeanne dubois"))
    assert hit.profile["last_name"] == "Martin"  # the golden name is her current one
    assert hit.matched_value == "jeanne dubois"
    # whoever is called Dubois now comes first, though Jeanne has more records
    assert _names(search.search("Dubois")) == ["Louise Dubois", "Jeanne Martin"]
    assert _names(search.search("Dubo")) == ["Louise Dubois", "Jeanne Martin"]


def test_each_query_word_needs_its_own_name_word(search: PersonSearch) -> None:
    assert search.search("Jeanne Jean") == []  # "jean" would only prefix "jeanne" again
    assert _names(search.search("Martin Mart")) == []
    assert _names(search.search("Paul Mart")) == ["Paul Martin"]


def test_blank_queries_and_strangers_find_no_one(search: PersonSearch) -> None:
    for query in ("", "   ", "nobody@mail.fr", "Xavier Quentin", "u-404", "!!"):
        assert search.search(query) == []


def test_search_follows_a_new_publish(tmp_path: Path) -> None:
    _build(tmp_path)
    search = PersonSearch(tmp_path / STATE_DIR, None)
    assert search.search("Amandine") == []
    (tmp_path / "data" / "shop_3.csv").write_text(
        "id,user_id,email,first_name,last_name\nS9,u-77,amandine@mail.fr,Amandine,Garnier\n",
        encoding="utf-8",
    )
    with Project.load(tmp_path) as project:
        run(project)  # publishes a new generation
    assert _names(search.search("Amandine Garnyer")) == ["Amandine Garnier"]


def test_a_store_file_can_be_searched_directly(people: Path) -> None:
    live = ServingPaths.of(people / STATE_DIR).live()
    assert live is not None
    search = PersonSearch(people / STATE_DIR, None, generation=live)
    assert _names(search.search("lefevre")) == ["Hélène Lefèvre"]


def test_a_store_published_before_search_says_how_to_fix_it(tmp_path: Path, people: Path) -> None:
    live = ServingPaths.of(people / STATE_DIR).live()
    assert live is not None
    old = tmp_path / "old.sqlite"
    old.write_bytes(live.read_bytes())
    with sqlite3.connect(old) as db:
        db.execute("DROP TABLE search_tokens")
        db.execute("DROP TABLE search_vocabulary")
    search = PersonSearch(people / STATE_DIR, None, generation=old)
    assert _one(search.search("u-1")).matched_on == "user_id"  # ids still answer
    with pytest.raises(ServingError, match="personae serving publish"):
        search.search("Martin")


def test_nothing_published_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ServingError, match="personae run"):
        PersonSearch(tmp_path / STATE_DIR, None).search("Martin")


def test_the_cli_prints_the_hits(people: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from personae.cli.context import console

    monkeypatch.chdir(people)
    monkeypatch.setattr(console, "_width", 220)  # made once per process: room for the table
    result = CliRunner().invoke(app, ["search", "Jeane Martin"])
    assert result.exit_code == 0, result.output
    assert "Jeanne" in result.output and "Martin" in result.output
    assert "jeanne.martin@mail.fr" in result.output
    result = CliRunner().invoke(app, ["search", "Xavier Quentin"])
    assert result.exit_code == 0, result.output
    assert "No person matches" in result.output


def test_erasure_removes_the_person_s_words(tmp_path: Path) -> None:
    _build(tmp_path)
    with Project.load(tmp_path) as project:
        selector = Selector(email="bernadette@mail.fr")
        erase(project, find_person(project, selector), selector)
    search = PersonSearch(tmp_path / STATE_DIR, None)
    assert search.search("Bernadette") == []
    live = ServingPaths.of(tmp_path / STATE_DIR).live()
    assert live is not None
    with sqlite3.connect(live) as db:
        words = {r[0] for r in db.execute("SELECT token FROM search_vocabulary")}
    assert "bernadette" not in words and "rousseau" not in words
    assert "martin" in words


def test_encrypted_store_finds_exact_words_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personae.engine.duckdb import crypto

    monkeypatch.setattr(crypto, "ALLOW_INSECURE_CRYPTO_FOR_TESTS", True)
    monkeypatch.setenv(KEY_ENV, new_master_key())
    _build(tmp_path, "protect: {encryption: true}\n")
    with Project.load(tmp_path) as project:
        search = PersonSearch.for_project(project)
    live = ServingPaths.of(tmp_path / STATE_DIR).live()
    assert live is not None
    stored = live.read_bytes()
    assert [w for w in (b"lefevre", b"helene", b"martin", b"rousseau") if w in stored] == []
    hit = _one(search.search("HÉLÈNE lefevre"))
    assert (hit.matched_on, hit.matched_value, hit.profile["last_name"]) == (
        "name",
        "helene lefevre",
        "Lefèvre",
    )
    assert _names(search.search("Lefèvre Hélène")) == ["Hélène Lefèvre"]
    assert search.search("Helen Lefevre") == []  # no typo
    assert search.search("Lefev") == []  # no prefix
    assert _one(search.search("u-1")).profile["first_name"] == "Jeanne"
    assert _one(search.search("06 12 34 56 78")).matched_on == "phone"


@pytest.fixture
def shop(tmp_path: Path, serve: ServeFactory) -> Served:
    build_shop(tmp_path)
    return serve(SHOP_CONFIG)


def test_persons_the_stream_created_or_merged_do_not_break_search(shop: Served) -> None:
    from personae.stream.worker import StreamWorker

    search = PersonSearch(shop.root / STATE_DIR, None)
    zoe = _one(search.search("Zoe Petit")).person_id
    for body in (
        {"userId": "u-new", "event": "Order Completed", "messageId": "n-1"},
        {"anonymousId": "a-zoe", "event": "Page Viewed", "messageId": "z-1"},
    ):
        assert shop.post("/v1/track", {**body, "timestamp": "2026-03-31T09:00:00Z"}).status_code
    identify = {"anonymousId": "a-zoe", "traits": {"email": "zoe.petit@mail.fr"}}
    assert shop.post("/v1/identify", {**identify, "messageId": "z-2"}).status_code == 200
    with Project.load(shop.root) as project:
        worker = StreamWorker(project)
        try:
            worker.step()
        finally:
            worker.close()
    new = _one(search.search("u-new"))
    assert new.matched_on == "user_id" and new.person_id != zoe
    assert _one(search.search(f"#{new.person_id}")).person_id == new.person_id
    assert _one(search.search("Zoe Petit")).person_id == zoe
    assert _one(search.search("a-zoe")).person_id == zoe


def test_a_name_of_a_person_merged_or_erased_since_the_publish_leads_to_the_survivor(
    tmp_path: Path, people: Path
) -> None:
    live = ServingPaths.of(people / STATE_DIR).live()
    assert live is not None
    copy = tmp_path / "store.sqlite"
    copy.write_bytes(live.read_bytes())
    search = PersonSearch(people / STATE_DIR, None, generation=copy)
    paul = _person(search, "paul.martin@mail.fr")
    jeanne = _person(search, "jeanne.martin@mail.fr")
    helene = _person(search, "helene.lefevre@mail.fr")
    search.close()
    with sqlite3.connect(copy) as db:  # as the streaming worker merges, and an erasure
        db.execute("DELETE FROM traits WHERE person_id IN (?, ?)", (paul, helene))
        db.execute("INSERT INTO links VALUES (?, ?)", (paul, jeanne))
    search = PersonSearch(people / STATE_DIR, None, generation=copy)
    assert [h.person_id for h in search.search("Martin")] == [jeanne]
    hit = _one(search.search("Paul Martin"))
    assert (hit.person_id, hit.profile["first_name"]) == (jeanne, "Jeanne")
    assert search.search("Lefèvre") == []
