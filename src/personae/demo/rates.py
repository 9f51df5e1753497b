"""The demo's units and rates: how many people each system knows, what they do, and how
often sources get them wrong."""

from __future__ import annotations

#: seconds in a day: times are seconds since 1970-01-01, days are days since then
DAY = 86_400
#: a day far in the future: the move day of people who did not move
NEVER = 10**7


#: people living in a household of 2-4 sharing surname, address and landline
HOUSEHOLD_SHARE = 0.10
HOUSEHOLD_SIZES = ((2, 0.55), (3, 0.30), (4, 0.15))
#: households that also share one family e-mail
FAMILY_EMAIL_SHARE = 0.03
#: people who moved: their old address in some sources, the new one in others
MOVER_SHARE = 0.08
FEMALE_SHARE = 0.52
#: second e-mails that are work addresses (the others are old personal ones)
WORK_EMAIL_SHARE = 0.55

#: who each system knows (shares of people)
CRM_SHARE = 0.70
CRM_DUPLICATE_SHARE = 0.02
BUYER_SHARE_CRM = 0.60
BUYER_SHARE_OTHER = 0.10
WEB_SHARE_CRM = 0.55
WEB_SHARE_OTHER = 0.38
LOYALTY_SHARE_FRANCE = 0.32
LOYALTY_SHARE_ABROAD = 0.06
EMAIL_AUDIENCE_SHARE_CUSTOMER = 0.72
EMAIL_AUDIENCE_SHARE_OTHER = 0.20
SUPPORT_SHARE_BUYER = 0.14
SUPPORT_SHARE_OTHER = 0.03
NPS_SHARE_CUSTOMER = 0.25
NPS_SHARE_OTHER = 0.05
#: account holders who bought accessories in the last 25 days and browsed this week
RECENT_ACCESSORY_SHOPPERS = 0.02

#: how skewed names are (Zipf exponent and shift): popular names make namesakes
FIRST_NAME_SKEW = (1.0, 8.0)
LAST_NAME_SKEW = (0.85, 15.0)

#: what they do
CRM_HISTORY_DAYS = 6 * 365
#: CRM accounts ticking "newsletter" at sign-up: most of the e-mail tool's audience, few
#: of the others; and "offers from our partners" (advertising)
OPTIN_EMAIL_SHARE_AUDIENCE = 0.85
OPTIN_EMAIL_SHARE_OTHER = 0.20
OPTIN_PARTNERS_SHARE = 0.35
CRM_SHOWS_OLD_ADDRESS_SHARE = 0.75
ORDER_HISTORY_DAYS = 730
#: the purchase process of every customer, shared by web orders and till tickets
#: (``purchases``): web buyers' first purchase up to this many days before the history
ACQUIRED_BEFORE_DAYS = 3 * 365
#: purchase rates are gamma-distributed: this shape, a mean gap of this many days
PURCHASE_RATE_SHAPE = 1.3
MEAN_PURCHASE_GAP_DAYS = 170
#: gaps between purchases are gamma-shaped with this shape (1 would be memoryless)
PURCHASE_GAP_SHAPE = 3.0
#: lifetimes are exponential; their means lognormal (median in days, sigma), and the
#: log mean lifetime is correlated with the log purchase rate
LIFETIME_MEDIAN_DAYS = 700
LIFETIME_SIGMA = 0.8
LIFETIME_RATE_CORRELATION = 0.3
#: spend levels are lognormal (sigma), weakly anti-correlated with the purchase rate;
#: each order's price varies around them (sigma)
SPEND_SIGMA = 0.45
SPEND_RATE_CORRELATION = -0.15
ORDER_PRICE_NOISE = 0.25
#: the share of web purchases of people who buy on both channels: Beta(a, b)
WEB_SHARE_BETA = (1.5, 2.5)
#: seasonal lift of purchases per month (January ... December): sales in January and
#: July, Christmas in November-December; applied by thinning, normalised to a mean of 1
MONTH_LIFT = (1.3, 0.8, 0.9, 0.95, 1.0, 1.0, 1.3, 0.75, 0.95, 1.0, 1.3, 1.6)
#: how far past the export the process runs for the ground truth of what comes next
FUTURE_DAYS = 365
#: tastes: people's style weights are Dirichlet(this) over the styles; a share of each
#: purchase and product view goes to one of a few favourite products
STYLE_CONCENTRATION = 0.3
FAVOURITE_PRODUCTS = 3
FAVOURITE_SHARE = 0.25
#: how much a style weighs products outside it, and how skewed popularity is (sigma)
OFF_STYLE_WEIGHT = 0.04
POPULARITY_SIGMA = 0.9
#: page views that are product pages (each followed by a Product Viewed event)
PRODUCT_PAGE_SHARE = 0.35
GUEST_ORDER_SHARE = 0.04
GUEST_SECOND_EMAIL_SHARE = 0.30
ABBREVIATED_STREET_SHARE = 0.20
EMAIL_HISTORY_DAYS = 365
MEAN_EMAIL_EVENTS = 4.5
MAX_EMAIL_EVENTS = 40
CLICK_SHARE = 0.25
UNSUBSCRIBE_SHARE = 0.03
NEWSLETTER_SHARE = 0.65
WEB_HISTORY_DAYS = 180
DEVICES = ((1, 0.6), (2, 0.3), (3, 0.1))
APP_DEVICE_SHARE = 0.35
SIGN_IN_SHARE = 0.30
LOYALTY_HISTORY_DAYS = 8 * 365
STORES = 40
HOME_STORE_SHARE = 0.85
ANONYMOUS_TICKET_SHARE = 0.30
SUPPORT_SECOND_EMAIL_SHARE = 0.12
NOM_PRENOM_SHARE = 0.15
NPS_NO_COMMENT_SHARE = 0.45
NPS_SCORES = (2, 1, 1, 2, 2, 5, 6, 12, 22, 22, 25)

#: hour-of-day profiles (weights for 0h … 23h)
ONLINE_HOURS = (1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 8, 8, 6, 3)
EMAIL_HOURS = (0.5, 0.3, 0.2, 0.2, 0.2, 0.5, 2, 5, 8, 7, 5, 4, 5, 5, 4, 3, 3, 4, 5, 5, 4, 3, 2, 1)
STORE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 8, 7, 6, 7, 8, 9, 10, 10, 5, 0, 0, 0, 0)

#: records where people typed a junk e-mail or phone
JUNK_SHARE = 0.005
