"""Which of the eight systems know each person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from personae.demo.arrays import BoolArray, Rng
from personae.demo.draws import chance
from personae.demo.population import Population
from personae.demo.rates import (
    BUYER_SHARE_CRM,
    BUYER_SHARE_OTHER,
    CRM_DUPLICATE_SHARE,
    CRM_SHARE,
    EMAIL_AUDIENCE_SHARE_CUSTOMER,
    EMAIL_AUDIENCE_SHARE_OTHER,
    LOYALTY_SHARE_ABROAD,
    LOYALTY_SHARE_FRANCE,
    NPS_SHARE_CUSTOMER,
    NPS_SHARE_OTHER,
    RECENT_ACCESSORY_SHOPPERS,
    SUPPORT_SHARE_BUYER,
    SUPPORT_SHARE_OTHER,
    WEB_SHARE_CRM,
    WEB_SHARE_OTHER,
)


@dataclass(frozen=True)
class Memberships:
    """Which systems know each person."""

    crm: BoolArray
    crm_duplicate: BoolArray
    recent_shopper: BoolArray
    buyer: BoolArray
    web: BoolArray
    loyalty: BoolArray
    email_audience: BoolArray
    support: BoolArray
    nps: BoolArray


def draw_memberships(rng: Rng, pop: Population) -> Memberships:
    size = pop.size
    crm = chance(rng, size, CRM_SHARE)
    recent = crm & chance(rng, size, RECENT_ACCESSORY_SHOPPERS / CRM_SHARE)
    buyer = recent | chance(rng, size, np.where(crm, BUYER_SHARE_CRM, BUYER_SHARE_OTHER))
    in_france = pop.country == 0
    loyalty = chance(rng, size, np.where(in_france, LOYALTY_SHARE_FRANCE, LOYALTY_SHARE_ABROAD))
    customer = crm | buyer | loyalty
    audience = np.where(customer, EMAIL_AUDIENCE_SHARE_CUSTOMER, EMAIL_AUDIENCE_SHARE_OTHER)
    return Memberships(
        crm=crm,
        crm_duplicate=crm & chance(rng, size, CRM_DUPLICATE_SHARE),
        recent_shopper=recent,
        buyer=buyer,
        web=recent | chance(rng, size, np.where(crm, WEB_SHARE_CRM, WEB_SHARE_OTHER)),
        loyalty=loyalty,
        email_audience=chance(rng, size, audience),
        support=chance(rng, size, np.where(buyer, SUPPORT_SHARE_BUYER, SUPPORT_SHARE_OTHER)),
        nps=chance(rng, size, np.where(buyer | loyalty, NPS_SHARE_CUSTOMER, NPS_SHARE_OTHER)),
    )
