"""Google Ads API offline user data jobs (REST), as documented: ``Authorization: Bearer``
and ``developer-token`` headers; ``…/offlineUserDataJobs:create`` (type
``CUSTOMER_MATCH_USER_LIST`` and the user list), ``…:addOperations`` (``create`` or
``remove`` of ``userIdentifiers``: at most 20 per operation and 100,000 per request;
``enablePartialFailure``), ``…:run``; errors ``{"error": {"code", "message", "status",
"details": [GoogleAdsFailure]}}``; the list changes when a job runs."""

from __future__ import annotations

import json
import re
from typing import Any

from activate.fakes.server import FakePlatform, Refused, Reply, Request

SHA256 = re.compile(r"^[0-9a-f]{64}$")
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.v19.errors.GoogleAdsFailure"


def ads_error(status: int, state: str, errors: list[dict[str, Any]], message: str = "") -> Refused:
    return Refused(
        Reply(
            status,
            {
                "error": {
                    "code": status,
                    "message": message or "Request contains an invalid argument.",
                    "status": state,
                    "details": [
                        {
                            "@type": FAILURE_TYPE,
                            "errors": errors,
                            "requestId": "req-1",
                        }
                    ],
                }
            },
        )
    )


def one_error(code: dict[str, str], message: str, index: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if index is not None:
        error["location"] = {"fieldPathElements": [{"fieldName": "operations", "index": index}]}
    return error


class FakeGoogleAds(FakePlatform):
    def __init__(
        self,
        access_token: str,
        developer_token: str,
        customer_id: str = "1234567890",
        user_lists: tuple[str, ...] = ("555",),
        version: str = "v19",
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.developer_token = developer_token
        self.customer_id = customer_id
        self.version = version
        #: user list id -> members, each the set of its identifiers (JSON text)
        self.user_lists: dict[str, list[set[str]]] = {u: [] for u in user_lists}
        #: job resource name -> {"list", "status", "operations", "consent"}
        self.jobs: dict[str, dict[str, Any]] = {}

    def rate_limited(self, retry_after: float | None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        reply = ads_error(
            429,
            "RESOURCE_EXHAUSTED",
            [
                one_error(
                    {"quotaError": "RESOURCE_EXHAUSTED"}, "Too many requests. Retry in 30 seconds."
                )
            ],
        ).reply
        reply.headers = headers
        return reply

    def handle(self, request: Request) -> Reply:
        if request.path == "/token" and request.method == "POST":
            return self.token(request)
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            raise ads_error(
                401,
                "UNAUTHENTICATED",
                [
                    one_error(
                        {"authenticationError": "OAUTH_TOKEN_INVALID"}, "Oauth token is invalid."
                    )
                ],
                "Request is missing required authentication credential.",
            )
        if request.headers.get("developer-token") != self.developer_token:
            raise ads_error(
                403,
                "PERMISSION_DENIED",
                [
                    one_error(
                        {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
                        "The developer token is not valid.",
                    )
                ],
                "The caller does not have permission",
            )
        body = request.json() if request.body else {}
        prefix = f"/{self.version}/customers/{self.customer_id}/offlineUserDataJobs"
        if request.method == "POST" and request.path == prefix + ":create":
            return self.create(body)
        match = re.fullmatch(re.escape(prefix) + r"/(\d+):(addOperations|run)", request.path)
        if request.method == "POST" and match:
            name = f"customers/{self.customer_id}/offlineUserDataJobs/{match.group(1)}"
            if name not in self.jobs:
                raise ads_error(
                    404,
                    "NOT_FOUND",
                    [one_error({"mutateError": "RESOURCE_NOT_FOUND"}, "Resource was not found.")],
                )
            if match.group(2) == "run":
                return self.run(name)
            return self.add(name, body)
        raise ads_error(404, "NOT_FOUND", [], f"no route {request.method} {request.path}")

    #: the OAuth client and the refresh token Google's token endpoint knows
    oauth: tuple[str, str, str] = ("client-id", "client-secret", "1//refresh")
    tokens_issued = 0

    def token(self, request: Request) -> Reply:
        """Google's OAuth 2 token endpoint (refresh token grant): a new access token."""
        form = {k: v[0] for k, v in request.form().items()}
        if form.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != self.oauth[:2]:
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("refresh_token") != self.oauth[2]:
            return Reply(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        self.tokens_issued += 1
        self.access_token = f"ya29.issued-{self.tokens_issued}"
        return Reply(
            200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"}
        )

    def create(self, body: dict[str, Any]) -> Reply:
        job = body.get("job") or {}
        if job.get("type") != "CUSTOMER_MATCH_USER_LIST":
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [one_error({"offlineUserDataJobError": "INVALID_JOB_TYPE"}, "job.type")],
            )
        user_list = (job.get("customerMatchUserListMetadata") or {}).get("userList", "")
        match = re.fullmatch(rf"customers/{self.customer_id}/userLists/(\d+)", user_list)
        if not match or match.group(1) not in self.user_lists:
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [
                    one_error(
                        {"offlineUserDataJobError": "INVALID_USER_LIST_ID"},
                        "The user list does not exist.",
                    )
                ],
            )
        name = f"customers/{self.customer_id}/offlineUserDataJobs/{len(self.jobs) + 1}"
        consent = job["customerMatchUserListMetadata"].get("consent")
        self.jobs[name] = {
            "list": match.group(1),
            "status": "PENDING",
            "operations": [],
            "consent": consent,
        }
        return Reply(200, {"resourceName": name})

    def add(self, name: str, body: dict[str, Any]) -> Reply:
        job = self.jobs[name]
        if job["status"] != "PENDING":
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [
                    one_error(
                        {"offlineUserDataJobError": "INVALID_JOB_STATUS"}, "The job is not pending."
                    )
                ],
            )
        operations = body.get("operations")
        if not isinstance(operations, list) or not operations:
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [one_error({"requestError": "REQUIRED_FIELD_MISSING"}, "operations")],
            )
        total = sum(
            len((next(iter(op.values()), {}) or {}).get("userIdentifiers") or [])
            for op in operations
            if isinstance(op, dict)
        )
        if total > 100_000:
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [
                    one_error(
                        {"offlineUserDataJobError": "TOO_MANY_USER_IDENTIFIERS"},
                        "Maximum number of user identifiers allowed per request is 100,000 and per "
                        "operation is 20.",
                    )
                ],
            )
        partial = bool(body.get("enablePartialFailure"))
        errors: list[dict[str, Any]] = []
        accepted: list[tuple[str, list[str]]] = []
        for index, op in enumerate(operations):
            problem = self._check(op)
            if problem:
                errors.append(one_error(problem[0], problem[1], index))
                continue
            kind = next(iter(op))
            accepted.append(
                (kind, [json.dumps(i, sort_keys=True) for i in op[kind]["userIdentifiers"]])
            )
        if errors and not partial:
            raise ads_error(400, "INVALID_ARGUMENT", errors)
        job["operations"].extend(accepted)
        if errors:
            return Reply(
                200,
                {
                    "partialFailureError": {
                        "code": 3,
                        "message": errors[0]["message"],
                        "details": [
                            {
                                "@type": FAILURE_TYPE,
                                "errors": errors,
                            }
                        ],
                    }
                },
            )
        return Reply(200, {})

    def _check(self, op: Any) -> tuple[dict[str, str], str] | None:
        if not isinstance(op, dict) or len(op) != 1 or next(iter(op)) not in ("create", "remove"):
            return {
                "requestError": "INVALID_INPUT"
            }, "an operation is exactly one of create or remove"
        identifiers = (op[next(iter(op))] or {}).get("userIdentifiers")
        if not isinstance(identifiers, list) or not identifiers:
            return {
                "offlineUserDataJobError": "INVALID_USER_IDENTIFIER"
            }, "userIdentifiers is empty"
        if len(identifiers) > 20:
            return {
                "offlineUserDataJobError": "TOO_MANY_USER_IDENTIFIERS"
            }, "at most 20 user identifiers per operation"
        for identifier in identifiers:
            if not isinstance(identifier, dict) or len(identifier) != 1:
                return {
                    "offlineUserDataJobError": "INVALID_USER_IDENTIFIER"
                }, "each user identifier holds one identifier"
            kind, value = next(iter(identifier.items()))
            if kind in ("hashedEmail", "hashedPhoneNumber"):
                if not (isinstance(value, str) and SHA256.match(value)):
                    return {
                        "offlineUserDataJobError": "INVALID_SHA256_FORMAT"
                    }, f"{kind} is not a SHA-256 hex digest"
            elif kind == "addressInfo":
                if set(value) != {"hashedFirstName", "hashedLastName", "countryCode", "postalCode"}:
                    return {
                        "offlineUserDataJobError": "INCOMPLETE_ADDRESS_INFO"
                    }, "addressInfo needs hashed names, country and postal codes"
                if not all(SHA256.match(value[k]) for k in ("hashedFirstName", "hashedLastName")):
                    return {
                        "offlineUserDataJobError": "INVALID_SHA256_FORMAT"
                    }, "names must be SHA-256 hex digests"
                if not re.fullmatch(r"[A-Z]{2}", value["countryCode"]):
                    return {
                        "offlineUserDataJobError": "INVALID_COUNTRY_CODE"
                    }, "countryCode is ISO-3166-1 alpha-2"
            else:
                return {
                    "offlineUserDataJobError": "INVALID_USER_IDENTIFIER"
                }, f"unknown identifier {kind}"
        return None

    def run(self, name: str) -> Reply:
        job = self.jobs[name]
        if job["status"] != "PENDING":
            raise ads_error(
                400,
                "INVALID_ARGUMENT",
                [
                    one_error(
                        {"offlineUserDataJobError": "INVALID_JOB_STATUS"},
                        "The job has already run.",
                    )
                ],
            )
        job["status"] = "SUCCESS"
        members = self.user_lists[job["list"]]
        owner = {x: i for i, member in enumerate(members) for x in member}
        for kind, identifiers in job["operations"]:
            ids = set(identifiers)
            held = {owner[x] for x in ids if x in owner}
            if kind == "create" and held:
                index = min(held)
                members[index] |= ids
                owner.update(dict.fromkeys(ids, index))
            elif kind == "create":
                members.append(ids)
                owner.update(dict.fromkeys(ids, len(members) - 1))
            else:
                for index in held:
                    for x in members[index]:
                        owner.pop(x, None)
                    members[index] = set()
        members[:] = [m for m in members if m]
        return Reply(
            200, {"name": f"customers/{self.customer_id}/operations/{name.rsplit('/', 1)[1]}"}
        )
