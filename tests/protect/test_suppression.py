"""The suppression list: keyed hashes only, matched after light normalisation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from personae.protect.hashing import KEY_FILE
from personae.protect.suppression import LIST_FILE, Suppression, SuppressionWatch, suppress


def test_values_match_in_any_raw_form_and_no_plaintext_is_stored(tmp_path: Path) -> None:
    state = tmp_path / ".personae"
    added = suppress(state, [("email", "ann@example.org"), ("phone", "+33612345678"),
                             ("user_id", "C42")])  # fmt: skip
    assert added == 4  # the phone also by its trailing digits
    assert suppress(state, [("email", "ANN@example.org")]) == 0  # already there
    listed = Suppression.load(state)
    assert listed.matches("email", " <Ann@Example.ORG> ")
    assert listed.matches("phone", "06 12 34 56 78", "FR")
    assert listed.matches("phone", "+33 (0)6 12 34 56 78", "FR")
    assert listed.matches("user_id", " C42 ")
    assert not listed.matches("user_id", "C4")
    assert not listed.matches("customer_id", "C42")  # kinds are hashed apart
    assert not listed.matches("phone", "06 12 34 56 79", "FR")
    text = (state / LIST_FILE).read_text()
    assert "ann" not in text and "612345678" not in text and "C42" not in text
    for name in (KEY_FILE, LIST_FILE):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600


def test_another_secret_makes_the_hashes_say_nothing(tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    suppress(one, [("email", "ann@example.org")])
    suppress(two, [("email", "ann@example.org")])
    assert (one / LIST_FILE).read_text() != (two / LIST_FILE).read_text()


def test_an_empty_list_matches_nothing_and_creates_no_secret(tmp_path: Path) -> None:
    listed = Suppression.load(tmp_path)
    assert not listed and not listed.matches("email", "ann@example.org")
    assert not (tmp_path / KEY_FILE).exists()


def test_a_watch_sees_new_erasures(tmp_path: Path) -> None:
    watch = SuppressionWatch(tmp_path)
    assert not watch.current().matches("user_id", "u1")
    suppress(tmp_path, [("user_id", "u1")])
    assert watch.current().matches("user_id", "u1")


@pytest.mark.parametrize("kind", ["email", "phone", "user_id"])
def test_blank_values_are_never_suppressed(tmp_path: Path, kind: str) -> None:
    suppress(tmp_path, [(kind, "  ")])
    assert not Suppression.load(tmp_path).matches(kind, "")
