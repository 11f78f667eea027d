"""Round 24 (fp24): false pages on normal administration, each rule with its controls."""

from __future__ import annotations

from detectors.privileged_action import PrivilegedAction
from schemas.event import Action
from tests.detectors.test_privilege import event, scored, trained


def _first_root(user: str) -> tuple[float, str]:
    """Points and title of ``user``'s first sudo to root after 21 days of admin life."""
    detector = PrivilegedAction()
    builder, history = trained(detector)
    sudo = event(
        history, user, Action.PRIVILEGE_USE, target_user="root", app="sudo", privileged=True
    )
    signals = scored(detector, builder, [sudo])
    assert len(signals) == 1, user
    return float(signals.points[0]), signals.titles[0]


def test_an_administrators_first_sudo_to_root_weighs_half() -> None:
    # user7 uses special privileges (4672) as routine: root through sudo is a second admin
    # channel, not someone gaining power (the identity admin creating a starter's Linux account).
    admin, title = _first_root("user7")
    plain, _ = _first_root("user4")
    assert admin < 0.6 * plain, (admin, plain)
    assert "an administrator already (1 privileged kind(s) as routine: x0.5)" in title


def test_a_first_sudo_to_root_without_privileged_routine_is_judged_in_full() -> None:
    # Control: an engineer's first root shell (the first_sudo_root attack) keeps its points.
    points, title = _first_root("user4")
    assert points >= 40
    assert "administrator already" not in title
