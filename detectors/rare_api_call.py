"""A cloud API call a principal never made and few of their tenant's principals make.

Stolen cloud credentials are used for reconnaissance and collection before anything is changed:
``GetCallerIdentity`` to see whose keys they are, ``ListUsers`` / ``GetAccountAuthorizationDetails``
to map IAM, ``ListSecrets`` / ``GetSecretValue`` to collect credentials, ``GetObject`` to take
data, ``UpdateDetector`` / ``DisableKey`` to blind the defenders. Each call is ordinary for
somebody; what is not ordinary is *this* principal making a call they never made, that hardly
anyone in the tenant makes. Changes of policies, keys, groups and trails have their own
detectors (``group_change``, ``privileged_action``, ``account_lifecycle``); this one watches
the rest, the ``api_call`` events (CloudTrail puts the API name, without a Lambda version
suffix, in ``object``; OCSF and Office 365 records their operation).

It is a :class:`~detectors.novelty.NoveltyDetector` on (user, API name): judged per principal
after their own learning period (days since their first API call *and* calls made), surprise
from the principal's own habit (someone who uses 40 APIs is not surprised by a 41st), the
tenant's principals as the prior (a call three others make is learned at once, one or two
others count a half or a third), flagged calls held back from the baseline until they come back
on three days at the principal's usual hours (a service the team adopted). Calls that read
credentials, enumerate identities or switch defences off weigh :data:`SENSITIVE_WEIGHT` times
more: the first ``GetSecretValue`` of an engineer who only ever described instances is worth
more than their first ``DescribeImages``. Points per call are small (a few new calls in one
session stay under the alert bar alone; the risk layer counts one detector's burst 1, 0.7,
0.49...), so the detector mostly adds what the account *did* to where it came from and when.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def call(day, user, api, minute=0):
...     return Event(time=start + timedelta(days=day, minutes=minute), tenant="t",
...                  source_format="cloudtrail", action=Action.API_CALL, user=user,
...                  object=api, app="ec2.amazonaws.com")
>>> history = [call(d, u, api, m) for d in range(14) for m, u in enumerate(("ann", "bob"))
...            for api in ("DescribeInstances", "DescribeVpcs")]
>>> builder, detector = BatchBuilder(), RareApiCall(learning_days=7, min_events=10)
>>> batch = builder.build(history)
>>> detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
>>> signals = detector.score(builder.build([call(14, "ann", "DescribeVpcs"),
...     call(14, "ann", "GetSecretValue", 1), call(14, "bob", "DescribeImages", 2)]), builder)
>>> signals.rows.tolist(), [round(float(p)) for p in signals.points]
([1, 2], [9, 6])
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'ann called GetSecretValue (ec2.amazonaws.com; reads credentials or data), an API they
 never called and 0 other principal(s) call (normal for ann: 29 calls to 2 APIs in 14 days)'
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._sort import unique1d
from detectors.base import Signals, group_order, new_value_surprise
from detectors.batch import BatchBuilder, EventBatch, FloatArray, IntArray
from detectors.novelty import DAY, NoveltyDetector
from detectors.registry import register
from schemas.event import Action

#: How many times more a sensitive call weighs than an ordinary one.
SENSITIVE_WEIGHT = 1.5

#: API names (lower case, without a service prefix) an attacker calls to find and take
#: credentials or data, to map identities and permissions, or to blind the defenders; what
#: each group is called in a title. Names are AWS's; the same idea holds elsewhere.
SENSITIVE_APIS: dict[str, str] = {
    **dict.fromkeys(
        (
            "getsecretvalue",
            "batchgetsecretvalue",
            "listsecrets",
            "getparametersbypath",
            "getpassworddata",
            "decrypt",
            "getobject",
            "getcredentialreport",
            "generatecredentialreport",
            "getaccesskeylastused",
            "listaccesskeys",
            "getloginprofile",
            "getconsolescreenshot",
            "getconsoleoutput",
            "createsnapshot",
            "copysnapshot",
            "createinstanceexporttask",
            "getfederationtoken",
        ),
        "reads credentials or data",
    ),
    **dict.fromkeys(
        (
            "listusers",
            "listroles",
            "listgroups",
            "listpolicies",
            "getaccountauthorizationdetails",
            "listattacheduserpolicies",
            "listuserpolicies",
            "getuserpolicy",
            "listgroupsforuser",
            "listinstanceprofiles",
            "getaccountsummary",
            "listaccounts",
            "describeorganization",
            "getcalleridentity",
            "simulateprincipalpolicy",
        ),
        "maps identities and permissions",
    ),
    **dict.fromkeys(
        (
            "updatedetector",
            "disablesecurityhub",
            "disablekey",
            "schedulekeydeletion",
            "putbucketlogging",
            "disablealarmactions",
            "disassociatefromadministratoraccount",
            "stopmonitoringmembers",
            "modifyinstanceattribute",
        ),
        "weakens defences",
    ),
}


#: Sensitive calls whose technique is not their group's (below): data taken from storage,
#: snapshots or consoles rather than credentials from a vault.
_DATA_APIS = frozenset(
    {
        "getobject",
        "createsnapshot",
        "copysnapshot",
        "createinstanceexporttask",
        "getconsolescreenshot",
        "getconsoleoutput",
    }
)
_GROUP_TECHNIQUE = {
    "reads credentials or data": "T1555.006",
    "maps identities and permissions": "T1087.004",
    "weakens defences": "T1562.008",
}


def technique(api: str) -> tuple[str, ...]:
    """The ATT&CK technique of a first call: what the sensitive groups mean, else discovery
    (``Describe*`` of infrastructure, ``List*``/``Get*`` of services) or valid cloud accounts.

    >>> technique("GetSecretValue"), technique("s3:GetObject"), technique("DescribeInstances")
    (('T1555.006',), ('T1530',), ('T1580',))
    >>> technique("ListFunctions"), technique("CreateTable")
    (('T1526',), ('T1078.004',))
    """
    name = api.rsplit(":", 1)[-1].rsplit(".", 1)[-1].lower()
    if name in _DATA_APIS:
        return ("T1530",)
    group = SENSITIVE_APIS.get(name)
    if group:
        return (_GROUP_TECHNIQUE[group],)
    if name.startswith("describe"):
        return ("T1580",)
    if name.startswith(("list", "get")):
        return ("T1526",)
    return ("T1078.004",)


def sensitivity(api: str) -> str:
    """What a sensitive API does (empty when ordinary); ``service:Name`` prefixes are ignored.

    >>> sensitivity("GetSecretValue"), sensitivity("secretsmanager:ListSecrets")
    ('reads credentials or data', 'reads credentials or data')
    >>> sensitivity("DescribeInstances")
    ''
    """
    return SENSITIVE_APIS.get(api.rsplit(":", 1)[-1].rsplit(".", 1)[-1].lower(), "")


@register
class RareApiCall(NoveltyDetector):
    """An API call never made by the principal and rare in the tenant
    (T1087.004, T1580, T1526, T1555.006, T1530, T1562.008, T1078.004)."""

    name: ClassVar[str] = "rare_api_call"
    mitre: ClassVar[tuple[str, ...]] = (
        "T1087.004",
        "T1580",
        "T1526",
        "T1555.006",
        "T1530",
        "T1562.008",
        "T1078.004",
    )
    entity_column: ClassVar[str] = "user"
    attribute_column: ClassVar[str] = "object"
    attribute_label: ClassVar[str] = "API"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.API_CALL})
    # Denied calls count: enumeration with too few permissions fails, and is still recon.
    success_only: ClassVar[bool] = False
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 6.0
    # A principal's first cloud week is exploration: judged only after its learning period.
    reports_young: ClassVar[bool] = False

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 10,
        points_per_nat: float | None = None,
        max_points: float | None = None,
        popular_entities: int = 3,
        release_days: int = 3,
        usual_share: float = 0.05,
        sensitive_weight: float = SENSITIVE_WEIGHT,
        min_points: float = 4.0,
    ) -> None:
        super().__init__(
            learning_days=learning_days,
            min_events=min_events,
            points_per_nat=points_per_nat,
            max_points=max_points,
            popular_entities=popular_entities,
            release_days=release_days,
            usual_share=usual_share,
        )
        if sensitive_weight < 1:
            raise ValueError(f"{self.name}: sensitive_weight must be >= 1")
        self.sensitive_weight = sensitive_weight
        # A call other principals already make, by a principal who uses many APIs, is hardly
        # news: findings under this many points are not reported (they stay held back).
        self.min_points = min_points

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        count = view["count_before"][flagged]
        distinct = view["distinct_before"][flagged]
        others = view["others"][flagged]
        attribute: IntArray = view["attribute"][flagged]
        entity: IntArray = view["entity"][flagged]
        api_vocab = builder.vocab["object"]
        # Sensitivity is looked up once per distinct API of the flagged rows (a handful), not
        # per event.
        distinct_apis, inverse = unique1d(attribute, return_inverse=True)
        kinds = [sensitivity(api_vocab.value(int(api))) for api in distinct_apis.tolist()]
        kind_of_api = np.array(kinds, dtype=object)[inverse]
        weight: FloatArray = np.where(
            np.array([bool(k) for k in kinds], dtype=np.bool_)[inverse], self.sensitive_weight, 1.0
        )
        # Rarely rather than never: a call this principal already made (flagged and held back,
        # so still not learned) counts 1/2 the second time, 1/3 the third... An admin's monthly
        # secret rotation fades; an intruder's first calls count in full.
        keys = view["keys"]
        sighted = self.pairs_.lookup(keys[flagged])["seen"]
        prior_in_batch, _ = group_order(keys)
        repeats = sighted + prior_in_batch[flagged]
        p_new, surprise = new_value_surprise(count, distinct, self.points_per_nat, self.max_points)
        points = surprise * weight / (1.0 + others) / (1.0 + repeats)
        strong = points >= self.min_points
        if not strong.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        count, distinct, others, attribute, entity = (
            count[strong],
            distinct[strong],
            others[strong],
            attribute[strong],
            entity[strong],
        )
        kind_of_api, weight, p_new, points, repeats = (
            kind_of_api[strong],
            weight[strong],
            p_new[strong],
            points[strong],
            repeats[strong],
        )
        rows = view["rows"][flagged][strong]
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=rows.astype(np.int64),
            entity=entity,
            points=points,
            mitre=self.mitre,
        )
        user_vocab = builder.vocab[self.entity_kind]
        days = ((view["time"][flagged] - view["first_seen"][flagged]) / DAY)[strong]
        for index, row in enumerate(rows.tolist()):
            who = user_vocab.value(int(entity[index]))
            api = api_vocab.value(int(attribute[index]))
            service = batch.events[row].app
            kind = str(kind_of_api[index])
            what = "; ".join(part for part in (service, kind) if part)
            n, d, peers = int(count[index]), int(distinct[index]), int(others[index])
            before = int(repeats[index])
            never = "never called" if before == 0 else f"called only {before} time(s) before"

            signals.titles.append(
                f"{who} called {api}{f' ({what})' if what else ''}, an API they {never} and "
                f"{peers} other principal(s) call (normal for {who}: {n} calls to {d} APIs in "
                f"{days[index]:.0f} days)"
            )
            signals.observed.append(f"API {api} for {who}{f' ({kind})' if kind else ''}")
            signals.row_mitre.append(technique(api))
            signals.baseline.append(
                f"{n} earlier calls over {days[index]:.0f} days to {d} other API(s); chance of a "
                f"new one ~{p_new[index]:.1%}; {peers} other principal(s) call it"
            )
        return signals
