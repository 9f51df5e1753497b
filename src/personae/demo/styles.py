"""How each source writes people: its formats and its mistakes."""

from __future__ import annotations

from dataclasses import dataclass

from personae.demo.arrays import Weighted
from personae.demo.rates import JUNK_SHARE


@dataclass(frozen=True)
class Style:
    """How one source writes people: its formats, and its mistakes (shares of records).

    Phone styles: ``national`` (06 12 34 56 78), ``dotted`` (06.12.34.56.78), ``compact``
    (0612345678), ``e164`` (+33612345678), ``paren`` (+33 (0)6 12 34 56 78),
    ``international`` (+32 471 23 45 67) and ``zero_zero`` (0032471234567)."""

    phone_france: Weighted = (("national", 1.0),)
    phone_abroad: str = "international"
    #: household members who give the household's landline
    landline: float = 0.0
    #: members of a household with a family e-mail who give it
    family_email: float = 0.0
    typo: float = 0.0
    no_accent: float = 0.0
    upper: bool = False
    swapped: float = 0.0
    spaces: float = 0.0
    email_case: float = 0.0
    email_spaces: float = 0.0
    missing_email: float = 0.0
    missing_phone: float = 0.0
    missing_birth_date: float = 0.0
    junk: float = JUNK_SHARE


CRM_STYLE = Style(
    phone_france=(("national", 0.9), ("dotted", 0.1)),
    landline=0.6,
    family_email=0.7,
    swapped=0.02,
    spaces=0.02,
    email_case=0.05,
    email_spaces=0.02,
    missing_email=0.08,
    missing_phone=0.10,
    missing_birth_date=0.12,
)
ORDERS_STYLE = Style(
    phone_france=(("e164", 1.0),),
    phone_abroad="e164",
    family_email=0.5,
    typo=0.03,
    no_accent=0.15,
    spaces=0.01,
    email_case=0.03,
    missing_phone=0.25,
)
EMAIL_TOOL_STYLE = Style(email_case=0.08, email_spaces=0.02, junk=0.0)
LOYALTY_STYLE = Style(
    phone_france=(("compact", 1.0),),
    phone_abroad="zero_zero",
    landline=0.5,
    family_email=0.5,
    typo=0.03,
    no_accent=0.60,
    upper=True,
    email_case=0.10,
    missing_email=0.40,
    missing_phone=0.15,
    missing_birth_date=0.20,
)
SUPPORT_STYLE = Style(
    phone_france=(("paren", 1.0),),
    typo=0.03,
    no_accent=0.10,
    spaces=0.03,
    email_case=0.05,
    missing_email=0.05,
    missing_phone=0.40,
)
NPS_STYLE = Style(email_case=0.05, email_spaces=0.03)
#: CRM columns missing now and then
CRM_MISSING_GENDER = 0.04
CRM_MISSING_COUNTRY = 0.03
CRM_MISSING_LANGUAGE = 0.10
