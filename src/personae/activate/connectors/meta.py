"""Meta (Facebook, Instagram) customer-file Custom Audiences, through the Marketing API.

* additions (and updates, which re-add the member with its current identifiers; a
  changed identifier comes as a removal with the old fields, then an addition):
  ``POST /{version}/{audience_id}/users``; removals: ``DELETE`` on the same edge;
* the body is form-encoded: ``payload`` is ``{"schema": [...], "data": [[...], ...]}``, one
  row per member, one column per key of the schema (``EMAIL``, ``PHONE``, ``FN``, ``LN``,
  ``ZIP``, ``CT``, ``COUNTRY``, ``DOBY``, ``DOBM``, ``DOBD``, ``GEN``), an empty string where
  a member has no value; at most 10,000 members per request;
* every value is the lower-case hex SHA-256 of the value normalised by Meta's rules
  (:mod:`personae.activate.pseudonymise` for e-mails, phones and names); a value already
  hashed upstream is sent as is;
* auth: ``access_token`` (a system user's token with ``ads_management``);
* errors come as ``{"error": {"code", "message", ...}}``; the rate limits (codes 4, 17, 32,
  613, 80003) and ``is_transient`` errors are retried, like HTTP 429 and 5xx.

A diff sync only adds and removes members, so no upload ``session`` (meant to replace a
whole audience in several requests) is needed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from personae.activate.connectors import platform_http as http
from personae.activate.connectors.base import BatchResult, Change, TransientError
from personae.activate.connectors.identifiers import first, hashed, is_sha256
from personae.activate.pseudonymise import sha256
from personae.config.platforms import MetaAudienceDestination

#: Meta's limit of members per request to the users edge
MAX_BATCH = 10_000
#: error codes of Meta's rate limits (application, user, ad account, custom audience)
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80003})
#: unknown or temporary server-side errors
TRANSIENT_CODES = frozenset({1, 2})
#: the token is invalid or expired
TOKEN_CODES = frozenset({102, 190})
SCHEMA = ("EMAIL", "PHONE", "FN", "LN", "ZIP", "CT", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN")
_PLATFORM = "Meta"
_SPACES_DASHES = re.compile(r"[\s-]+")
_NOT_A_TO_Z = re.compile(r"[^a-z]")


def _unaccented(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _plain(value: str, normalised: str) -> str:
    return value if is_sha256(value) else sha256(normalised)


def meta_row(fields: Mapping[str, Any]) -> dict[str, str]:
    """The member's keys of :data:`SCHEMA`, hashed after Meta's normalisation."""
    row: dict[str, str] = {}
    email = first(fields, "email", "emails")
    if email:
        row["EMAIL"] = hashed("email", email, "meta")
    phone = first(fields, "phone", "phones")
    if phone:
        row["PHONE"] = hashed("phone", phone, "meta")
    for key, name in (("FN", "first_name"), ("LN", "last_name")):
        value = first(fields, name)
        if value:
            # names: lower case, no punctuation nor spaces, accented letters kept (UTF-8)
            row[key] = hashed(name, value, "meta")
    city = first(fields, "city")
    if city:
        # cities: a-z only, no punctuation, no special characters, no spaces
        row["CT"] = _plain(city, _NOT_A_TO_Z.sub("", _unaccented(city.lower())))
    country = first(fields, "country")
    if country:
        row["COUNTRY"] = _plain(country, country.strip().lower())
    postcode = first(fields, "postcode")
    if postcode:
        # lower case, no spaces nor dashes; in the US, the first five digits only
        zip_code = _SPACES_DASHES.sub("", postcode.lower())
        if country and country.strip().lower() in ("us", "usa"):
            zip_code = zip_code[:5]
        row["ZIP"] = _plain(postcode, zip_code)
    birth = first(fields, "birth_date")
    if birth and is_sha256(birth):
        row["DOBY"] = birth
    elif birth and re.match(r"^\d{4}-\d{2}-\d{2}", birth):
        row["DOBY"], row["DOBM"], row["DOBD"] = (
            sha256(birth[0:4]),
            sha256(birth[5:7]),
            sha256(birth[8:10]),
        )
    gender = first(fields, "gender")
    if gender and is_sha256(gender):
        row["GEN"] = gender
    elif gender and gender.strip().lower()[:1] in ("m", "f"):
        row["GEN"] = sha256(gender.strip().lower()[:1])
    return row


class MetaAudienceConnector:
    max_batch = MAX_BATCH
    #: the fields a member is matched by: when they change, the sync must remove the member
    #: with the fields sent last, then add it with the new ones (an update re-adds it with
    #: its current identifiers but cannot withdraw the old ones)
    identity_fields: tuple[str, ...] = (
        "email",
        "emails",
        "phone",
        "phones",
        "first_name",
        "last_name",
        "postcode",
        "city",
        "country",
        "birth_date",
        "gender",
    )

    def __init__(
        self, config: MetaAudienceDestination, *, access_token: str, credential: str
    ) -> None:
        self.config = config
        self._token = access_token
        self._credential = credential
        self.url = f"{config.base_url}/{config.api_version}/{config.audience_id}/users"

    @classmethod
    def from_config(
        cls, config: MetaAudienceDestination, *, path: str, env: Mapping[str, str] | None = None
    ) -> MetaAudienceConnector:
        token = http.secret(
            env,
            config.access_token_env,
            path=f"{path}.access_token_env",
            what="a Meta access token with the ads_management permission",
        )
        return cls(
            config,
            access_token=token,
            credential=f"environment variable {config.access_token_env}",
        )

    def send(self, changes: Sequence[Change]) -> BatchResult:
        result = BatchResult()
        adds: list[tuple[int, dict[str, str]]] = []
        removes: list[tuple[int, dict[str, str]]] = []
        for change in changes:
            row = meta_row(change.fields)
            if not ("EMAIL" in row or "PHONE" in row or ("FN" in row and "LN" in row)):
                # a postcode, a city or a birth date alone matches nobody
                result.failed[change.person_id] = (
                    "no e-mail, phone, or first and last name to match on; send at least "
                    "email, phone, or first_name with last_name"
                )
            else:
                (removes if change.kind == "remove" else adds).append((change.person_id, row))
        for method, rows in (("DELETE", removes), ("POST", adds)):
            if rows:
                self._upload(method, rows, result)
        return result

    def _upload(
        self, method: str, rows: list[tuple[int, dict[str, str]]], result: BatchResult
    ) -> None:
        schema = [key for key in SCHEMA if any(key in row for _, row in rows)]
        data = [[row.get(key, "") for key in schema] for _, row in rows]
        body = http.form_encode(
            {
                "payload": json.dumps({"schema": schema, "data": data}),
                "access_token": self._token,
            }
        )
        what = f"{'adding' if method == 'POST' else 'removing'} {len(rows)} users"
        response = http.request(
            method,
            self.url,
            headers={"content-type": "application/x-www-form-urlencoded"},
            body=body,
            platform=_PLATFORM,
        )
        answer = response.json()
        if response.status >= 300 or (isinstance(answer, dict) and "error" in answer):
            self._fail(response, answer, what)
        samples = (answer or {}).get("invalid_entry_samples") or {}
        if samples:
            for person_id, row in rows:
                for value in row.values():
                    if value in samples:
                        result.failed[person_id] = f"Meta found it invalid: {samples[value]}"

    def _fail(self, response: http.Response, answer: Any, what: str) -> None:
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            detail = response.body[:200].decode("utf-8", "replace")
            http.fail(
                response, platform=_PLATFORM, what=what, detail=detail, credential=self._credential
            )
            return
        code = error.get("code")
        detail = f"{error.get('message')} (code {code}, subcode {error.get('error_subcode')})"
        if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES or error.get("is_transient"):
            raise TransientError(
                f"Meta answered {response.status} to {what}: {detail}",
                retry_after=http.retry_after(response),
            )
        if code in TOKEN_CODES:
            response = http.Response(401, response.headers, response.body)
        http.fail(
            response, platform=_PLATFORM, what=what, detail=detail, credential=self._credential
        )

    def close(self) -> None:
        """Nothing to finish: Meta applies each request on its own."""
