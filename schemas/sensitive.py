"""Watch lists shared by parsers and detectors: what counts as a privileged group or action.

Matching is on normalised lower-case names. Operators extend these through configuration; the
defaults are the groups and policies an attacker wants first.
"""

from __future__ import annotations

SENSITIVE_GROUPS: frozenset[str] = frozenset(
    {
        # Active Directory / local Windows
        "domain admins",
        "enterprise admins",
        "schema admins",
        "administrators",
        "account operators",
        "backup operators",
        "server operators",
        "print operators",
        "group policy creator owners",
        "dnsadmins",
        "enterprise key admins",
        "key admins",
        "remote desktop users",
        "remote management users",
        "hyper-v administrators",
        # Linux
        "wheel",
        "sudo",
        "admin",
        "root",
        "adm",
        "docker",
        "lxd",
        # Cloud
        "administratoraccess",
        "poweruseraccess",
        "iamfullaccess",
        "global administrator",
        "privileged role administrator",
        "super administrator",
        "organization administrator",
    }
)

PRIVILEGED_USERS: frozenset[str] = frozenset({"root", "administrator", "admin", "system"})


def is_sensitive_group(name: str) -> bool:
    """True for a watch-listed group or policy name (an ARN's last segment also matches).

    >>> is_sensitive_group("Domain Admins")
    True
    >>> is_sensitive_group("arn:aws:iam::aws:policy/AdministratorAccess")
    True
    >>> is_sensitive_group("Marketing")
    False
    """
    key = name.strip().lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return key in SENSITIVE_GROUPS
