"""What a database URL written in personae.yml (or on the command line) may not hold: a
password in plain text. Shared by database sources and PostgreSQL exports."""

from __future__ import annotations

import re

#: ``${VARIABLE}`` or ``${file:path}``: a secret resolved when the URL is used
PLACEHOLDER = re.compile(r"^\$\{[^}]+\}$")


def plaintext_password(url: str) -> tuple[str, str] | None:
    """``(where, user)`` when ``url`` holds a password written in plain text: ``where`` is
    ``"userinfo"`` (``user:secret@host``) or ``"parameter"`` (``?password=secret``); None
    when it holds none, or holds it as a placeholder. The password itself is never
    returned, so no message can echo it."""
    if PLACEHOLDER.match(url.strip()):
        return None
    rest = url.partition("://")[2]
    userinfo = rest.split("/", 1)[0].rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    if colon and password and not PLACEHOLDER.match(password):
        return "userinfo", user
    if "?" in rest and "password=" in rest.split("?", 1)[1].lower():
        return "parameter", user
    return None
