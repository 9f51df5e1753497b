"""A small shop for the Profile API: three CRM customers, web events that link an SDK
user to one of them, and a second run that merges an anonymous visitor into another."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from personae.pipeline import RunReport, run
from personae.project import Project
from personae.protect.keys import KeyStore, keys_file

CONFIG = """
name: shop
as_of: 2026-03-31
defaults: {phone_region: FR}
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
      city: city
  web:
    kind: events
    path: data/web_*.csv
    record_id: message_id
    fields:
      user_id: user_id
      anonymous_id: anonymous_id
      email: email
    event:
      name_column: event
      timestamp: {column: at}
      properties:
        page: page
traits:
  page_views: {aggregate: count, event: Page Viewed}
  order_count: {aggregate: count, event: Order Completed}
segments:
  buyers: {all: [{trait: order_count, ">=": 1}]}
  browsers: {all: [{trait: page_views, ">=": 1}]}
"""

CRM = """\
id,email,phone,first_name,last_name,city
C1,Jeanne.Martin@Mail.fr,06 12 34 56 78,Jeanne,Martin,Paris
C2,paul.durand@mail.fr,+33 6 98 76 54 32,Paul,Durand,Lyon
C3,zoe.petit@mail.fr,,Zoe,Petit,Nantes
"""
#: Jeanne's page views on the web (besides her identify and two orders)
PAGE_VIEWS = 25
T0 = dt.datetime(2026, 3, 1, 10, 0, 0)


def _web_1() -> str:
    rows = ["message_id,user_id,anonymous_id,email,event,at,page"]
    rows.append(f"m-identify,u-1,a-1,jeanne.martin@mail.fr,Signed In,{T0.isoformat()},/login")
    for i in range(PAGE_VIEWS):
        at = T0 + dt.timedelta(minutes=i + 1)
        rows.append(f"m-view-{i:02d},u-1,a-1,,Page Viewed,{at.isoformat()},/p/{i}")
    for i in range(2):
        at = T0 + dt.timedelta(days=i + 1)
        rows.append(f"m-order-{i},u-1,,,Order Completed,{at.isoformat()},/checkout")
    rows.append(f"m-anon,,a-2,,Page Viewed,{(T0 + dt.timedelta(hours=5)).isoformat()},/home")
    return "\n".join(rows) + "\n"


#: the second run: the anonymous visitor a-2 signs up with Paul's e-mail
WEB_2 = (
    "message_id,user_id,anonymous_id,email,event,at,page\n"
    f"m-signup,,a-2,paul.durand@mail.fr,Signed Up,{(T0 + dt.timedelta(days=3)).isoformat()},/join\n"
)


def build_shop(
    root: Path, extra: str = "", second_run: bool = True, read_key: bool = True
) -> list[RunReport]:
    """Write the shop into ``root`` and run the pipeline (twice: the second run merges).
    With ``read_key``, a read key exists before the runs, so they publish the store."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    if read_key:
        KeyStore(keys_file(root)).create(scope="read")
    (root / "personae.yml").write_text(textwrap.dedent(CONFIG) + extra, encoding="utf-8")
    (root / "data" / "crm.csv").write_text(CRM, encoding="utf-8")
    (root / "data" / "web_1.csv").write_text(_web_1(), encoding="utf-8")
    reports = []
    with Project.load(root) as project:
        reports.append(run(project))
    if second_run:
        (root / "data" / "web_2.csv").write_text(WEB_2, encoding="utf-8")
        with Project.load(root) as project:
            reports.append(run(project))
    return reports
