"""Which new account (publisher) names the registry refuses: taken ones, and look-alikes
and near-typos of taken ones, by the same rules as plugin names (registry/names_policy.py):
`acc_official`, `acc-officia1` (same confusable key) and `acc-offical` (one typo) next to
`acc-official`.

Every way an account is made (web registration, `acc registry user create`, the seed)
goes through registry.accounts.check_new_account, which asks here. Names are public
(publisher pages, the API's /publishers/NAME), so saying which account a name imitates
reveals nothing new; email addresses are never said (registry/web/auth_pages.py).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.errors import conflict
from registry.models import User
from registry.names_policy import first_imitated
from sdk.names import confusable_key


def check_new_publisher_name(session: Session, name: str) -> None:
    """Raise 409 if `name` is registered (`account_exists`), reads as a registered name
    (`confusable_name`) or is a near-typo of one (`typosquat_name`), naming that account."""
    key = confusable_key(name)
    clash = (
        session.execute(
            select(User.name)
            .where(or_(func.lower(User.name) == name.lower(), User.name_key == key))
            .order_by(func.lower(User.name) != name.lower())
        )
        .scalars()
        .first()
    )
    if clash is not None and clash.lower() == name.lower():
        raise conflict(
            "the name is already registered", code="account_exists", hint="log in instead, or choose another name"
        )
    if clash is not None:
        raise conflict(
            f"the name {name!r} is too easily confused with the existing account {clash!r}",
            code="confusable_name",
            hint="choose a name that reads differently",
        )
    imitated = first_imitated(name, session.execute(select(User.name)).scalars())
    if imitated is not None:
        other, reason = imitated
        raise conflict(
            f"the name {name!r} {reason} the existing account {other!r}",
            code="typosquat_name",
            hint="choose a distinct name; if that account is yours, log in to it instead",
        )
