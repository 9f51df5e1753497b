"""Google Ads Customer Match user lists, through offline user data jobs (REST).

* a job per sync and direction, created on its first change:
  ``POST /{version}/customers/{customer_id}/offlineUserDataJobs:create`` with type
  ``CUSTOMER_MATCH_USER_LIST``, the user list and the EU user consent (``adUserData`` and
  ``adPersonalization`` granted: personae only sends persons whose consent for the
  destination's purpose it checked);
* each batch: ``POST /{version}/{job}:addOperations`` with one operation per member,
  ``create`` (additions, updates) or ``remove``, holding ``userIdentifiers``:
  ``hashedEmail``, ``hashedPhoneNumber`` (SHA-256 after Google's normalisation) and
  ``addressInfo`` (hashed first and last names, country code and postal code in clear,
  only when all four are known); ``enablePartialFailure`` makes Google refuse members one
  by one (``partialFailureError``, located by operation index);
* limits: at most 20 identifiers per operation and 100,000 per request, so batches of
  5,000 members (20 each at most) always fit;
* :meth:`close` runs the jobs (``POST /{version}/{job}:run``): Google applies them within
  hours;
* auth: ``Authorization: Bearer`` (OAuth 2 access token), ``developer-token``, and
  ``login-customer-id`` when access goes through a manager account. With a refresh token,
  the connector trades it for an access token at Google's token endpoint when it first
  needs one, and again when the API answers 401 (access tokens last an hour).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from personae.activate.connectors import platform_http as http
from personae.activate.connectors.base import (
    BatchResult,
    Change,
    PermanentError,
    TransientError,
)
from personae.activate.connectors.identifiers import first, hashed, texts
from personae.config.platforms import GoogleCustomerMatchDestination

#: members per request: 5,000 operations of at most 20 identifiers stay within 100,000
MAX_BATCH = 5_000
MAX_IDENTIFIERS = 20
#: error codes of the Google Ads API worth retrying
TRANSIENT_ERRORS = frozenset(
    {"RESOURCE_EXHAUSTED", "RESOURCE_TEMPORARILY_EXHAUSTED", "CONCURRENT_MODIFICATION"}
)
_PLATFORM = "Google Ads"


def user_identifiers(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A member's ``userIdentifiers``, hashed after Google's normalisation."""
    out: list[dict[str, Any]] = []
    for email in texts(fields.get("email")) + texts(fields.get("emails")):
        identifier = {"hashedEmail": hashed("email", email, "google")}
        if identifier not in out:
            out.append(identifier)
    for phone in texts(fields.get("phone")) + texts(fields.get("phones")):
        identifier = {"hashedPhoneNumber": hashed("phone", phone, "google")}
        if identifier not in out:
            out.append(identifier)
    first_name, last_name = first(fields, "first_name"), first(fields, "last_name")
    country, postcode = first(fields, "country"), first(fields, "postcode")
    if not (first_name and last_name and country and postcode):
        return out[:MAX_IDENTIFIERS]
    address = {
        "addressInfo": {
            "hashedFirstName": hashed("first_name", first_name, "google"),
            "hashedLastName": hashed("last_name", last_name, "google"),
            "countryCode": country.strip().upper(),
            "postalCode": postcode.strip(),
        }
    }
    # the address always fits: e-mails and phones give way to it past 20
    return [*out[: MAX_IDENTIFIERS - 1], address]


class GoogleCustomerMatchConnector:
    max_batch = MAX_BATCH
    #: the fields a member is matched by (see MetaAudienceConnector.identity_fields)
    identity_fields: tuple[str, ...] = (
        "email",
        "emails",
        "phone",
        "phones",
        "first_name",
        "last_name",
        "postcode",
        "country",
    )

    def __init__(
        self,
        config: GoogleCustomerMatchDestination,
        *,
        access_token: str | None,
        developer_token: str,
        credential: str,
        refresh: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self._refresh = refresh
        self._access = access_token
        self._headers = {
            "developer-token": developer_token,
            "content-type": "application/json",
            "accept": "application/json",
        }
        if config.login_customer_id:
            self._headers["login-customer-id"] = config.login_customer_id
        self._credential = credential
        self.api = f"{config.base_url}/{config.api_version}"
        #: the job of each direction ("create", "remove") of this sync, once created
        self.jobs: dict[str, str] = {}

    @classmethod
    def from_config(
        cls,
        config: GoogleCustomerMatchDestination,
        *,
        path: str,
        env: Mapping[str, str] | None = None,
    ) -> GoogleCustomerMatchConnector:
        developer = http.secret(
            env,
            config.developer_token_env,
            path=f"{path}.developer_token_env",
            what="the Google Ads developer token (API Center of the manager account)",
        )
        if config.refresh_token_env is None:
            access = http.secret(
                env,
                config.access_token_env,
                path=f"{path}.access_token_env",
                what="an OAuth 2 access token with the https://www.googleapis.com/auth/adwords "
                "scope (or name a refresh_token_env)",
            )
            return cls(
                config,
                access_token=access,
                developer_token=developer,
                credential=(
                    f"environment variables {config.access_token_env} and "
                    f"{config.developer_token_env}"
                ),
            )
        form = {
            "grant_type": "refresh_token",
            "refresh_token": http.secret(
                env,
                config.refresh_token_env,
                path=f"{path}.refresh_token_env",
                what="an OAuth 2 refresh token with the adwords scope",
            ),
            "client_id": http.secret(
                env, config.client_id_env, path=f"{path}.client_id_env", what="the OAuth client id"
            ),
            "client_secret": http.secret(
                env,
                config.client_secret_env,
                path=f"{path}.client_secret_env",
                what="the OAuth client secret",
            ),
        }
        names = f"{config.refresh_token_env}, {config.client_id_env}, {config.client_secret_env}"
        return cls(
            config,
            access_token=None,
            developer_token=developer,
            credential=f"environment variables {names} and {config.developer_token_env}",
            refresh=lambda: access_token_from(config.token_url, form, names),
        )

    def send(self, changes: Sequence[Change]) -> BatchResult:
        result = BatchResult()
        operations: dict[str, list[tuple[int, dict[str, Any]]]] = {"remove": [], "create": []}
        for change in changes:
            identifiers = user_identifiers(change.fields)
            if not identifiers:
                result.failed[change.person_id] = (
                    "no e-mail, phone, or first name, last name, country and postcode to match on"
                )
                continue
            direction = "remove" if change.kind == "remove" else "create"
            operation = {direction: {"userIdentifiers": identifiers}}
            operations[direction].append((change.person_id, operation))
        for direction, ops in operations.items():
            if ops:
                self._add(direction, ops, result)
        return result

    def _add(
        self, direction: str, ops: list[tuple[int, dict[str, Any]]], result: BatchResult
    ) -> None:
        job = self.jobs.get(direction) or self._create_job()
        self.jobs[direction] = job
        answer = self._post(
            f"{job}:addOperations",
            {"operations": [op for _, op in ops], "enablePartialFailure": True},
            what=f"adding {len(ops)} {direction} operations to {job}",
        )
        failure = (answer or {}).get("partialFailureError") or {}
        for detail in failure.get("details") or []:
            for error in detail.get("errors") or []:
                index = _operation_index(error)
                if index is not None and 0 <= index < len(ops):
                    result.failed[ops[index][0]] = _error_text(error)

    def _create_job(self) -> str:
        cid = self.config.customer_id
        answer = self._post(
            f"customers/{cid}/offlineUserDataJobs:create",
            {
                "job": {
                    "type": "CUSTOMER_MATCH_USER_LIST",
                    "customerMatchUserListMetadata": {
                        "userList": f"customers/{cid}/userLists/{self.config.user_list_id}",
                        "consent": {"adUserData": "GRANTED", "adPersonalization": "GRANTED"},
                    },
                }
            },
            what=f"creating a job for user list {self.config.user_list_id}",
        )
        return str(answer["resourceName"])

    def _post(self, route: str, payload: dict[str, Any], *, what: str) -> Any:
        fresh = False
        if self._access is None and self._refresh is not None:
            self._access, fresh = self._refresh(), True
        response = http.request(
            "POST",
            f"{self.api}/{route}",
            headers={**self._headers, "authorization": f"Bearer {self._access}"},
            body=json.dumps(payload).encode(),
            platform=_PLATFORM,
        )
        if response.status == 401 and self._refresh is not None and not fresh:
            # the access token expired: trade the refresh token for a new one, once
            self._access = None
            return self._post(route, payload, what=what)
        if response.status >= 300:
            self._fail(response, what)
        return response.json()

    def _fail(self, response: http.Response, what: str) -> None:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            detail = response.body[:200].decode("utf-8", "replace")
            http.fail(
                response, platform=_PLATFORM, what=what, detail=detail, credential=self._credential
            )
            return
        errors = [e for d in error.get("details") or [] for e in d.get("errors") or []]
        codes = {str(v) for e in errors for v in (e.get("errorCode") or {}).values()}
        detail = "; ".join(_error_text(e) for e in errors) or str(error.get("message"))
        if codes & TRANSIENT_ERRORS or error.get("status") == "RESOURCE_EXHAUSTED":
            raise TransientError(
                f"Google Ads answered {response.status} to {what}: {detail}",
                retry_after=http.retry_after(response) or _retry_delay(error),
            )
        http.fail(
            response, platform=_PLATFORM, what=what, detail=detail, credential=self._credential
        )

    def close(self) -> None:
        """Run the jobs this sync filled: removals first, so that a member removed with
        its old identifiers and added with new ones that share some stays."""
        for direction in ("remove", "create"):
            job = self.jobs.pop(direction, None)
            if job is not None:
                self._post(f"{job}:run", {}, what=f"running {job}")


def access_token_from(token_url: str, form: Mapping[str, str], names: str) -> str:
    """An access token for a refresh token, from Google's OAuth 2 token endpoint."""
    response = http.request(
        "POST",
        token_url,
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=urllib.parse.urlencode(form).encode(),
        platform="Google OAuth",
    )
    answer = response.json()
    if response.status == 200 and isinstance(answer, dict) and answer.get("access_token"):
        return str(answer["access_token"])
    detail = (
        f"{answer.get('error')}: {answer.get('error_description')}"
        if isinstance(answer, dict)
        else response.body[:200].decode("utf-8", "replace")
    )
    if response.status == 429 or response.status >= 500:
        raise TransientError(
            f"Google OAuth answered {response.status}: {detail}",
            retry_after=http.retry_after(response),
        )
    raise PermanentError(
        f"Google OAuth refused the refresh token ({response.status}, {detail}); check the "
        f"environment variables {names}, or authorise personae again for a new refresh token"
    )


def _operation_index(error: Mapping[str, Any]) -> int | None:
    for element in (error.get("location") or {}).get("fieldPathElements") or []:
        if element.get("fieldName") == "operations" and "index" in element:
            return int(element["index"])
    return None


def _error_text(error: Mapping[str, Any]) -> str:
    codes = ", ".join(f"{k}.{v}" for k, v in (error.get("errorCode") or {}).items())
    message = str(error.get("message") or "refused")
    return f"{message} ({codes})" if codes else message


def _retry_delay(error: Mapping[str, Any]) -> float | None:
    """``retryDelay`` of a ``google.rpc.RetryInfo`` detail ("30s")."""
    for detail in error.get("details") or []:
        delay = detail.get("retryDelay")
        if isinstance(delay, str) and re.fullmatch(r"[0-9.]+s", delay):
            return float(delay[:-1])
    return None
