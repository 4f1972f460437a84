"""One demo account per role, with published passwords: for the demo database only.

These accounts are not asked to change their password (their passwords are printed by
``make demo`` for anyone trying the platform); accounts made with ``demonitor user add`` are.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from demonitor.core.permissions import Role
from demonitor.reference.city import CityProfile, load_city
from demonitor.services.users import add_user, find_user


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    display_name: str
    region: str | None = None
    department: str | None = None


DISTRICT_PASSWORD = "Demo-Quxian-2025"
CITY_ACCOUNTS = (
    DemoAccount("admin", Role.ADMIN, "Demo-Guanli-2025", "系统管理员"),
    DemoAccount("office", Role.OFFICE, "Demo-Shuzi-2025", "市数字经济办"),
    DemoAccount("statistics", Role.STATISTICS, "Demo-Tongji-2025", "市统计局"),
    DemoAccount(
        "industry",
        Role.DEPARTMENT,
        "Demo-Gongxin-2025",
        "市工业和信息化局",
        department="市工业和信息化局",
    ),
)
LEADER_ACCOUNT = DemoAccount("leader", Role.LEADER, "Demo-Lingdao-2025", "领导小组")


def demo_accounts(city: CityProfile | None = None) -> tuple[DemoAccount, ...]:
    """The demo accounts: the city's, one per district the profile's ``[demo]`` names (with
    the region's name), and the leader's."""
    city = city or load_city()
    districts = []
    for entry in city.demo.district_accounts:
        region = city.regions.get(entry.region)
        name = region.name_zh if region else entry.region
        districts.append(
            DemoAccount(entry.username, Role.DISTRICT, DISTRICT_PASSWORD, name, region=entry.region)
        )
    return (*CITY_ACCOUNTS, *districts, LEADER_ACCOUNT)


# The accounts of the profile selected when this module is imported (for the CLI and tests).
DEMO_ACCOUNTS = demo_accounts()


def add_demo_accounts(session: Session) -> list[DemoAccount]:
    """Create the demo accounts that are missing; returns all of them."""
    accounts = demo_accounts()
    for account in accounts:
        if find_user(session, account.username) is None:
            add_user(
                session,
                "demo",
                account.username,
                account.role,
                display_name=account.display_name,
                region=account.region,
                department=account.department,
                password=account.password,
                must_change_password=False,
            )
    return list(accounts)
