"""Destinations on platforms reached through their documented APIs: e-mail tools' contact
lists (``brevo``, ``mailchimp``), ad audiences (``meta_audience``, ``google_customer_match``),
and the SMS provider ``twilio`` (a message channel, not an audience).

Credentials never live in ``personae.yml``: each model names the environment variables
that hold them (``api_key_env: BREVO_API_KEY``). ``base_url`` defaults to the real API; a
test or a proxy points it elsewhere.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from personae.config.base import Strict
from personae.config.destination_base import DestinationBase

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(
            f"{value!r} is not an environment variable name; name the variable that holds "
            "the credential (e.g. BREVO_API_KEY), never the credential itself"
        )
    return value


def _matching(value: str, pattern: str, example: str) -> str:
    if not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} is not {example}")
    return value


def _base_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://api.brevo.com/v3")
    return value.rstrip("/")


class PlatformDestination(DestinationBase):
    """What every platform destination says: the common fields of a destination (the
    audience, the fields sent, the purpose: consent is checked for it before anything
    reaches the platform). The platform recognises the fields ``email``, ``phone``,
    ``first_name``, ``last_name``, ``postcode``, ``city``, ``country``, ``birth_date``,
    ``gender``."""

    @field_validator("base_url", mode="after", check_fields=False)
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return None if value is None else _base_url(value)

    @field_validator(
        "api_key_env",
        "access_token_env",
        "developer_token_env",
        "refresh_token_env",
        "client_id_env",
        "client_secret_env",
        mode="after",
        check_fields=False,
    )
    @classmethod
    def _check_env(cls, value: str | None) -> str | None:
        return None if value is None else _env_name(value)

    @field_validator("token_url", mode="after", check_fields=False)
    @classmethod
    def _check_token_url(cls, value: str) -> str:
        return _base_url(value)


def _attribute_names(value: dict[str, str], example: str) -> dict[str, str]:
    for field, name in value.items():
        if not _ATTRIBUTE.match(name):
            raise ValueError(
                f"{name!r} (for {field!r}) is not an attribute name: use letters, digits "
                f"and underscores, e.g. {example}"
            )
    return value


class BrevoDestination(PlatformDestination):
    """A Brevo contact list: members imported (created or updated, with attributes) into
    the list, and removed from it when they leave the audience."""

    type: Literal["brevo"] = "brevo"
    list_id: int = Field(gt=0)
    api_key_env: str = "BREVO_API_KEY"
    #: sent field -> Brevo attribute (default: first_name FIRSTNAME, last_name LASTNAME,
    #: phone SMS, any other field upper-cased)
    attributes: dict[str, str] = Field(default_factory=dict)
    base_url: str = "https://api.brevo.com/v3"

    @field_validator("attributes")
    @classmethod
    def _check_attributes(cls, value: dict[str, str]) -> dict[str, str]:
        return _attribute_names(value, "FIRSTNAME")


class MailchimpDestination(PlatformDestination):
    """A Mailchimp audience (list): members subscribed or updated in batches of 500; a
    member leaving is archived (default) or unsubscribed."""

    type: Literal["mailchimp"] = "mailchimp"
    list_id: str = Field(min_length=1)
    api_key_env: str = "MAILCHIMP_API_KEY"
    #: the data center (``us6``); read from the API key's suffix (``…-us6``) when omitted
    server: str | None = None
    #: sent field -> merge field tag (default: first_name FNAME, last_name LNAME,
    #: phone PHONE, any other field upper-cased)
    merge_fields: dict[str, str] = Field(default_factory=dict)
    #: ``archive`` (the member leaves the audience, and can come back) or ``unsubscribe``
    #: (kept, marked unsubscribed: only when leaving the segment means "stop e-mailing")
    on_remove: Literal["archive", "unsubscribe"] = "archive"
    base_url: str | None = None

    @field_validator("server")
    @classmethod
    def _check_server(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _matching(value, r"[a-z]{2,4}[0-9]{1,3}", "a data center such as us6")

    @field_validator("merge_fields")
    @classmethod
    def _check_merge_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for field, tag in _attribute_names(value, "FNAME").items():
            if len(tag) > 10:
                raise ValueError(
                    f"merge field tag {tag!r} (for {field!r}) is longer than Mailchimp's "
                    "10 characters; use the tag shown in the audience's settings"
                )
        return value


class AdAudienceDestination(PlatformDestination):
    """An ad platform's audience: its connector hashes every identifier itself, after the
    platform's own normalisation, so nothing leaves in clear and ``pseudonymise:`` is
    refused (hashing first would hash twice, or after the wrong rules, and match
    nobody)."""

    @field_validator("pseudonymise", mode="before")
    @classmethod
    def _no_double_hashing(cls, value: object) -> object:
        if value is not None:
            raise ValueError(
                "an ad platform's connector hashes the identifiers itself (SHA-256 after "
                "the platform's normalisation; nothing leaves in clear), so pseudonymising "
                "them first would hash them twice, or under the wrong rules, and match "
                "nobody; remove pseudonymise: from this destination"
            )
        return value


class MetaAudienceDestination(AdAudienceDestination):
    """A Meta (Facebook, Instagram) customer-file Custom Audience: members added and
    removed by SHA-256 hashes of their normalised identifiers, 10,000 per request."""

    type: Literal["meta_audience"] = "meta_audience"
    #: the Custom Audience's id (Ads Manager > Audiences), digits
    audience_id: str
    access_token_env: str = "META_ACCESS_TOKEN"
    #: the Graph API version, e.g. v21.0
    api_version: str = "v21.0"
    base_url: str = "https://graph.facebook.com"

    @field_validator("audience_id")
    @classmethod
    def _check_audience(cls, value: str) -> str:
        return _matching(value, r"[0-9]+", "a Custom Audience id: digits, as 23851234567890123")

    @field_validator("api_version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        return _matching(value, r"v[0-9]+\.[0-9]+", "a Graph API version such as v21.0")


class GoogleCustomerMatchDestination(AdAudienceDestination):
    """A Google Ads Customer Match user list, fed through offline user data jobs: one job
    per sync for additions and one for removals, run when the sync ends."""

    type: Literal["google_customer_match"] = "google_customer_match"
    #: the Google Ads account (``123-456-7890`` or ``1234567890``)
    customer_id: str
    #: the Customer Match user list's id (Audience manager > Your data segments), digits
    user_list_id: str
    developer_token_env: str = "GOOGLE_ADS_DEVELOPER_TOKEN"
    #: an OAuth 2 access token with the ``adwords`` scope (it lasts an hour) …
    access_token_env: str = "GOOGLE_ADS_ACCESS_TOKEN"
    #: … or a refresh token, which personae trades for access tokens with the OAuth
    #: client's id and secret (the variables named below) whenever it needs one
    refresh_token_env: str | None = None
    client_id_env: str = "GOOGLE_ADS_CLIENT_ID"
    client_secret_env: str = "GOOGLE_ADS_CLIENT_SECRET"
    token_url: str = "https://oauth2.googleapis.com/token"
    #: the manager account the access goes through, when there is one
    login_customer_id: str | None = None
    #: the Google Ads API version, e.g. v19
    api_version: str = "v19"
    base_url: str = "https://googleads.googleapis.com"

    @field_validator("user_list_id")
    @classmethod
    def _check_list(cls, value: str) -> str:
        return _matching(value, r"[0-9]+", "a user list id: digits, as 7012345678")

    @field_validator("api_version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        return _matching(value, r"v[0-9]+", "a Google Ads API version such as v19")

    @field_validator("customer_id", "login_customer_id")
    @classmethod
    def _check_customer_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace("-", "")
        if not re.fullmatch(r"[0-9]{10}", digits):
            raise ValueError(
                f"{value!r} is not a Google Ads customer id: ten digits, as in 123-456-7890"
            )
        return digits


class TwilioSms(Strict):
    """SMS through Twilio's Messages API (a message channel: the orchestrator decides who
    is sent what; this says how it leaves)."""

    type: Literal["twilio"] = "twilio"
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    #: the sender: an E.164 number or an alphanumeric sender id (``from`` in YAML) …
    from_: str | None = Field(default=None, alias="from")
    #: … or a Messaging Service that picks the sender
    messaging_service_sid: str | None = None
    #: a URL Twilio calls back with each message's delivery status
    status_callback: str | None = None
    base_url: str = "https://api.twilio.com"

    @field_validator("account_sid_env", "auth_token_env")
    @classmethod
    def _check_env(cls, value: str) -> str:
        return _env_name(value)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("messaging_service_sid")
    @classmethod
    def _check_service(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _matching(
            value, r"MG[0-9a-fA-F]{32}", "a Messaging Service SID: MG and 32 hex digits"
        )

    @model_validator(mode="after")
    def _one_sender(self) -> TwilioSms:
        if (self.from_ is None) == (self.messaging_service_sid is None):
            raise ValueError(
                "say who sends: either 'from' (an E.164 number such as +33612345678, or "
                "an alphanumeric sender id) or 'messaging_service_sid' (MG…), not both"
            )
        return self


#: every platform audience destination, as ``type`` -> model
PLATFORM_DESTINATIONS: dict[str, type[PlatformDestination]] = {
    "brevo": BrevoDestination,
    "mailchimp": MailchimpDestination,
    "meta_audience": MetaAudienceDestination,
    "google_customer_match": GoogleCustomerMatchDestination,
}
