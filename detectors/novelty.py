"""Novelty of an attribute for an entity: "this user has never come from this network".

The workhorse behind rare-source, rare-host and rare-user-agent detectors. An entity is judged
in full after its own learning period (time since first seen *and* number of events), so a new
employee is not a flood. Before that, once ``report_after_days`` have passed and ``min_events``
were seen, a *young* entity is reported at ``young_weight`` of the points on what it has shown so
far (credentials stolen in a user's first week, or in a tenant's first days, are not invisible);
its value is learned as before when seen at the entity's usual hours, and held back when not.
Surprise is the Good-Turing-style probability that the entity shows a
new value at all: a user who roams over 40 networks is not surprising on the 41st, a user who
has used one network for 500 logons is.

Peers are the prior: a value that ``popular_entities`` or more other entities of the tenant
already use (the company VPN pool, a new server everyone starts to use) is not news for one
more of them, and is learned at once; a value one or two others use counts half or a third.
Popularity counts every entity that was *seen* with the value (flagged or not), so it never
depends on what was flagged, and a batch scores exactly like its events one by one.

A flagged value is held back from the baseline, but not for ever: one that keeps coming back
at the entity's usual hours of the day (a new home broadband address, a replaced laptop) is
released once it was seen on ``release_days`` distinct days at such hours, and is learned from
then on instead of being flagged again every time. A value used only at hours the entity is
never active (a stolen password used at night) stays quarantined.

Account takeover (round 17): where ``after_reset`` is set (where a sign-in came from: network,
workstation), a value reported within ``after_reset_hours`` after *another* account reset the
entity's password (4724, an IdP admin reset, ``UpdateLoginProfile``, ``passwd`` by root) is
multiplied by ``after_reset_factor``. Whoever asked the helpdesk for the new password is the
one who signs in next; the owner does so from where they always do, an impostor from a machine
or network the owner never used.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._exact import all_slots, dense_rows, exact_narrow, used_slots
from detectors._hour_profiles import HourProfiles
from detectors._seconds import NEVER, SECONDS, stored_times
from detectors._sort import unique1d
from detectors.base import (
    CountTable,
    Signals,
    StateDict,
    batch_view,
    bump_counts,
    changes_state,
    fold_first_times,
    gather,
    gather_times,
    group_cumsum_before,
    group_order,
    grow,
    latest_earlier,
    narrow_counts,
    new_value_surprise,
    pair_keys,
    sorted_unique,
)
from detectors.batch import (
    ACTION_CODE,
    COLUMN_KINDS,
    BatchBuilder,
    BoolArray,
    EventBatch,
    Int64Array,
)
from detectors.time_profile import PrefixSums
from schemas.event import Action, Outcome

DAY = 86_400.0
HOUR = 3_600.0


class NoveltyDetector:
    """Flags the first (entity, attribute) pair for an entity past its learning period.

    Subclasses set the class attributes that say which columns and actions they watch.
    """

    name: ClassVar[str] = "novelty"
    mitre: ClassVar[tuple[str, ...]] = ()
    entity_kind: ClassVar[str] = "user"
    entity_column: ClassVar[str] = "user"
    attribute_column: ClassVar[str] = "src_net"
    attribute_label: ClassVar[str] = "network"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.LOGON})
    success_only: ClassVar[bool] = True
    default_points_per_nat: ClassVar[float] = 12.0
    default_max_points: ClassVar[float] = 80.0
    reports_young: ClassVar[bool] = True  # report entities past report_after_days (see _view)
    # Points are divided by 1 + the other entities that use the value (a network five
    # colleagues use is less news); False where peers say nothing about this entity's habit.
    peer_discount: ClassVar[bool] = True
    # Judge a new value right after another account reset the entity's password more
    # strongly (module docstring); only for columns that say where a sign-in came from.
    after_reset: ClassVar[bool] = False

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
        report_after_days: float = 3.0,
        young_weight: float = 0.5,
        after_reset_hours: float = 24.0,
        after_reset_factor: float = 2.0,
    ) -> None:
        points_per_nat = points_per_nat or self.default_points_per_nat
        max_points = max_points or self.default_max_points
        if learning_days < 0 or min_events < 0 or points_per_nat <= 0 or max_points <= 0:
            raise ValueError(f"{self.name}: learning_days/min_events >= 0, points > 0 required")
        if popular_entities < 1:
            raise ValueError(f"{self.name}: popular_entities must be >= 1")
        if release_days < 1 or not 0 <= usual_share <= 1:
            raise ValueError(f"{self.name}: release_days >= 1 and usual_share in [0, 1]")
        if not 0 <= report_after_days or not 0 <= young_weight <= 1:
            raise ValueError(f"{self.name}: report_after_days >= 0, young_weight in [0, 1]")
        if after_reset_hours < 0 or after_reset_factor < 1:
            raise ValueError(f"{self.name}: after_reset_hours >= 0, after_reset_factor >= 1")
        self.after_reset_seconds = after_reset_hours * HOUR
        self.after_reset_factor = after_reset_factor
        self.report_after_days = report_after_days
        self.young_weight = young_weight
        self.release_days = release_days
        self.usual_share = usual_share
        self.learning_days = learning_days
        self.min_events = min_events
        self.points_per_nat = points_per_nat
        self.max_points = max_points
        self.popular_entities = popular_entities
        # Per (entity, value) pair, in one table (the pairs of every column are sightings):
        # "seen" every row, flagged ones included; "learned" rows (held-back ones excluded),
        # "trusted" the learned ones while the entity was mature; "usual_days" distinct days
        # it was seen at the entity's usual hours, the last such day in "usual_last".
        self.pairs_ = CountTable(("seen", "learned", "trusted", "usual_days"), ("usual_last",))
        # Whole counts are kept in the narrowest unsigned type that holds them (narrow_counts):
        # the same numbers in 1-2 bytes instead of 8; they are read back as float64.
        self.value_entities_ = narrow_counts([])  # distinct entities seen per value
        # First seen time in whole seconds, rounded down (detectors._seconds; NEVER = never).
        self.entity_first_ = np.empty(0, dtype=SECONDS)
        self.entity_count_ = narrow_counts([])  # events seen
        self.entity_distinct_ = narrow_counts([])  # distinct attribute values
        # Events per UTC hour of day, a row only for the entities this detector saw (sorted ids
        # in ``hour_entities``): most users never make an API call or carry a user agent, and
        # a dense row per user id was 24-48 bytes of zeros for each of them. The non-zero cells
        # only (detectors._hour_profiles): half of a row's hours count nothing.
        self.hours_ = HourProfiles()
        # Per entity id: when another account last reset its password (seconds; NaN = never).
        # Kept only where ``after_reset`` is set.
        self.reset_at_ = np.empty(0, dtype=np.float64)

    # -- password resets by another account ------------------------------------------------

    def _resets(self, batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        """(row, target id) of successful password resets of an account by another account."""
        mask = batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("target_user") >= 0)
        mask &= (batch.column("user") >= 0) & (batch.column("user") != batch.column("target_user"))
        rows = np.flatnonzero(mask)
        if len(rows):
            verbs = [batch.events[int(r)].object for r in rows.tolist()]
            rows = rows[np.fromiter((v in _RESET_VERBS for v in verbs), np.bool_, len(verbs))]
        return rows.astype(np.int64), batch.column("target_user")[rows].astype(np.int64)

    def _last_reset(self, batch: EventBatch, rows: Int64Array, entity: Int64Array) -> np.ndarray:
        """When another account last reset each row's entity's password before the row (state
        or earlier rows of the batch; NaN = never)."""
        size = int(entity.max()) + 1 if len(entity) else 0
        last = gather(self.reset_at_, size, np.nan, entity).astype(np.float64)
        reset_rows, targets = self._resets(batch)
        at = latest_earlier(targets, reset_rows, entity, rows)
        hit = at >= 0
        last[hit] = batch.time[reset_rows[at[hit]]]
        return last

    # -- the sequential view of a batch ---------------------------------------------------

    def _relevant(self, batch: EventBatch) -> BoolArray:
        mask = batch.action_mask(self.actions)
        if self.success_only:
            mask &= batch.outcome_is(Outcome.SUCCESS)
        mask &= batch.column(self.entity_column) >= 0
        mask &= batch.column(self.attribute_column) >= 0
        return mask

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        """Per relevant row: what a one-by-one scorer would know just before that row."""
        rows = np.flatnonzero(self._relevant(batch))
        if not len(rows):
            # Most batches of a tenant without this attribute (no geo, no device ids): the
            # ~100 numpy calls below cost ~0.1 ms even on empty arrays.
            return _empty_view()
        entity = batch.column(self.entity_column)[rows]
        attribute = batch.column(self.attribute_column)[rows]
        time = batch.time[rows]
        keys = pair_keys(entity, attribute)
        stored_pairs = self.pairs_.lookup(keys)
        stored = stored_pairs["learned"]
        size = int(entity.max()) + 1 if len(entity) else 0
        first_state = gather_times(self.entity_first_, size, entity)
        count_state = gather(self.entity_count_, size, 0, entity).astype(np.float64)
        distinct_state = gather(self.entity_distinct_, size, 0, entity).astype(np.float64)

        entity64 = entity.astype(np.int64)
        prior_entity, first_entity_row = group_order(entity64)
        prior_pair, first_pair_row = group_order(keys)
        first_seen = np.where(np.isnan(first_state), time[first_entity_row], first_state)
        count_before = count_state + prior_entity
        mature = (time - first_seen >= self.learning_days * DAY) & (count_before >= self.min_events)
        never_stored = stored == 0
        index = np.arange(len(rows))
        attribute64 = attribute.astype(np.int64)
        # Peers: other entities seen with this value before this row (state + earlier rows).
        sighted = stored_pairs["seen"]
        first_sighting = (first_pair_row == index) & (sighted == 0)
        value_size = int(attribute.max()) + 1 if len(attribute) else 0
        seen_by = gather(self.value_entities_, value_size, 0, attribute) + group_cumsum_before(
            attribute64, first_sighting.astype(np.float64)
        )
        others = seen_by - ((sighted > 0) | (first_pair_row != index))
        popular = others >= self.popular_entities
        # A pair is known once it was learned while the entity was mature, or seen at least
        # twice while it was learning: a value seen only once in the learning period (perhaps an
        # attacker who started early) is not trusted yet. An unknown pair is flagged (and held
        # back) while the entity is mature and the value is not popular; a popular value is
        # learned at once. Knowing only grows along a pair's rows (maturity and popularity only
        # grow), so each row's state follows from counts of earlier rows of its pair.
        trusted = stored_pairs["trusted"]
        popular_before = group_cumsum_before(keys, (mature & popular).astype(np.float64))
        # Release from quarantine: days on which the pair was seen at the entity's usual hours
        # (the hour profile and the day count include flagged rows, so neither depends on
        # what was flagged, and both only grow along a pair's rows).
        hour = (np.floor(time / HOUR) % 24).astype(np.int64)
        day = np.floor(time / DAY)
        usual = self._usual_hour(entity64, hour, prior_entity, sighted + prior_pair)
        usual_days, last_usual_day = stored_pairs["usual_days"], stored_pairs["usual_last"]
        new_day = usual & ~(day <= last_usual_day)  # NaN (never) compares False
        # Each day counts once per pair: only the first new-day row of a (pair, day) counts.
        # Rows are in time order, so within a pair a candidate starts a new day when the pair's
        # previous candidate fell on another day.
        candidates = np.flatnonzero(new_day)
        if len(candidates):
            order = candidates[np.argsort(keys[candidates], kind="stable")]
            fresh = np.ones(len(order), dtype=np.bool_)
            fresh[1:] = (keys[order][1:] != keys[order][:-1]) | (day[order][1:] != day[order][:-1])
            new_day[order[~fresh]] = False
        # Sightings while learning: a young entity's value at unusual hours does not count.
        young = ~mature & (count_before >= self.min_events) & self.reports_young
        young &= time - first_seen >= self.report_after_days * DAY
        learning_sighting = ~mature & ~(young & ~usual & ~popular)
        immature_before = group_cumsum_before(keys, learning_sighting.astype(np.float64))
        days_before = usual_days + group_cumsum_before(keys, new_day.astype(np.float64))
        released = days_before >= self.release_days
        known = (trusted > 0) | (stored + immature_before >= 2) | (popular_before > 0) | released
        flagged = mature & ~popular & ~known
        # A young entity (past ``report_after_days`` and ``min_events``, not its learning
        # period) is reported on what it has shown so far. Its baseline is still forming, so a
        # reported value seen at the entity's usual hours is learned as before (a new home
        # network in someone's first week); one seen at hours it is not usually active is held
        # back like a mature entity's (a stolen password used at night from day 4 on must not
        # become normal by coming back).
        young_report = young & ~popular & ~known
        held = flagged | (young_report & ~usual)
        learned = ~held
        learned_before = group_cumsum_before(keys, learned.astype(np.float64))
        learned_new = learned & never_stored & (learned_before == 0)
        distinct_before = distinct_state + group_cumsum_before(
            entity64, learned_new.astype(np.float64)
        )
        return {
            "rows": rows,
            "entity": entity,
            "attribute": attribute,
            "keys": keys,
            "time": time,
            "flagged": flagged,
            "reported": flagged | young_report,
            "held": held,
            "young": young_report,
            "count_before": count_before,
            "distinct_before": distinct_before,
            "first_seen": first_seen,
            "others": others,
            "first_sighting": first_sighting,
            "mature": mature,
            "hour": hour,
            "day": day,
            "new_day": new_day,
        }

    def _usual_hour(
        self, entity: Int64Array, hour: Int64Array, prior: Int64Array, pair_before: np.ndarray
    ) -> BoolArray:
        """Rows at an hour of the day (+-1 h) that holds at least ``usual_share`` of the
        entity's events before the row (stored profile plus earlier rows of the batch), not
        counting the value's own events (``pair_before``, as if all were in that hour): a
        value used only at night must not make the night usual by itself."""
        # The profiles of the batch's entities only (rows by local id), not a float copy of
        # every entity's.
        present, local = unique1d(entity, return_inverse=True)
        local = local.reshape(-1)
        stored = np.zeros((len(present), 24))
        if len(self.hours_):
            position, known = self.hours_.find(present)
            stored[known] = self.hours_.rows(position[known])
        in_batch = PrefixSums(entity * 24 + hour, np.ones(len(entity)))
        near = np.zeros(len(entity))
        for offset in (-1, 0, 1):
            around = (hour + offset) % 24
            near += stored[local, around] + in_batch.at(entity * 24 + around)
        total = stored.sum(axis=1)[local] + prior - pair_before
        near -= pair_before
        usual: BoolArray = (total >= self.min_events) & (near >= self.usual_share * total)
        return usual

    # -- protocol -------------------------------------------------------------------------

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["reported"]
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        count = view["count_before"][flagged]
        distinct = view["distinct_before"][flagged]
        others = view["others"][flagged]
        p_new, surprise = new_value_surprise(count, distinct, self.points_per_nat, self.max_points)
        weight = np.where(view["young"][flagged], self.young_weight, 1.0)
        points = (surprise / (1.0 + others) if self.peer_discount else surprise) * weight
        rows = view["rows"][flagged]
        since_reset = np.full(len(rows), np.nan)
        if self.after_reset:
            entity64 = view["entity"][flagged].astype(np.int64)
            since_reset = view["time"][flagged] - self._last_reset(batch, rows, entity64)
            taken = since_reset <= self.after_reset_seconds  # NaN (never reset): False
            points = np.where(taken, points * self.after_reset_factor, points)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=rows.astype(np.int64),
            entity=view["entity"][flagged],
            points=points,
            mitre=self.mitre,
        )
        attr_vocab = builder.vocab[COLUMN_KINDS[self.attribute_column]]
        entity_vocab = builder.vocab[self.entity_kind]
        first_seen = view["first_seen"][flagged]
        for index, row in enumerate(rows.tolist()):
            event = batch.events[row]
            who = entity_vocab.value(int(view["entity"][flagged][index]))
            value = attr_vocab.value(int(view["attribute"][flagged][index]))
            days = (float(view["time"][flagged][index]) - float(first_seen[index])) / DAY
            n, d = int(count[index]), int(distinct[index])
            signals.titles.append(self.title(who, value, event.action, n, d, days, event))
            signals.observed.append(f"{self.attribute_label} {value} for {who}")
            peers = int(others[index])
            after = float(since_reset[index])
            reset = (
                f"; {after / 60:.0f} min after another account reset {who}'s password "
                f"(x{self.after_reset_factor:g}: account takeover)"
                if after <= self.after_reset_seconds
                else ""
            )
            signals.baseline.append(
                f"{n} earlier events over {days:.0f} days from {d} other "
                f"{self.attribute_label}(s); chance of a new one ~{p_new[index]:.1%}; "
                f"{peers} other {self.entity_kind}(s) use it{reset}"
            )
        return signals

    def title(
        self, who: str, value: str, action: Action, n: int, d: int, days: float, event: object
    ) -> str:
        return (
            f"{who} {_verb(action)} from {self.attribute_label} {value} never seen for them "
            f"(normal: {n} events from {d} {self.attribute_label}(s) in {days:.0f} days)"
        )

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        if self.after_reset:
            _, targets = self._resets(batch)
            if len(targets):
                reset_rows, _ = self._resets(batch)
                self.reset_at_ = grow(self.reset_at_, int(targets.max()) + 1, np.nan)
                np.fmax.at(self.reset_at_, targets, batch.time[reset_rows])
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        entity = view["entity"]
        size = int(entity.max()) + 1
        self.entity_first_ = grow(self.entity_first_, size, NEVER)
        time = view["time"]
        # First-seen and event counts include flagged events: the entity was active.
        fold_first_times(self.entity_first_, entity, time)
        self.entity_count_ = bump_counts(self.entity_count_, size, entity)
        attribute = view["attribute"]
        self.value_entities_ = bump_counts(
            self.value_entities_, int(attribute.max()) + 1, attribute[view["first_sighting"]]
        )
        self.pairs_.add("seen", view["keys"])
        self.hours_.add(self.hours_.slots(entity), view["hour"])
        new_day = view["new_day"]
        self.pairs_.add("usual_days", view["keys"][new_day])
        self.pairs_.add_days("usual_last", view["keys"][new_day], view["day"][new_day])
        keep = ~(view["held"] | held_back[rows])
        keys = view["keys"][keep]
        distinct = sorted_unique(keys)
        new_keys = distinct[self.pairs_.lookup(distinct)["learned"] == 0]
        self.entity_distinct_ = bump_counts(
            self.entity_distinct_, size, (new_keys >> 32).astype(np.int64)
        )
        self.pairs_.add("learned", keys)
        trusted = keep & view["mature"]
        self.pairs_.add("trusted", view["keys"][trusted])

    @property
    def hour_entities_(self) -> np.ndarray:
        """The sorted ids of the entities with an hour profile."""
        return self.hours_.ids

    @property
    def entity_hours_(self) -> np.ndarray:
        """The hour profiles as a dense table, a row per id in ``hour_entities_`` (a copy)."""
        return self.hours_.dense()

    def state(self) -> StateDict:
        state = self.pairs_.state("pair_")
        state["value_entities"] = self.value_entities_
        # (per-entity columns at the ids this detector saw only: most users make no API call)
        entity = {"entity_first": self.entity_first_, "entity_count": self.entity_count_}
        entity["entity_distinct"] = self.entity_distinct_
        state.update(used_slots(entity, self.entity_first_ != NEVER, _ENTITY_FILLS, "entity_"))
        # Ids in 16 bits while they fit; the hour counts sparse (half of them are 0): a bitmap
        # of the non-zero cells and their values (:mod:`detectors._exact`, the same numbers).
        state["hour_entities"] = exact_narrow(self.hours_.ids, smallest=2)
        # (the same as sparse_rows of the dense table)
        state["entity_hours_mask"], state["entity_hours"] = self.hours_.saved()
        if self.after_reset:
            reset = {"reset_at": self.reset_at_}  # (the few users whose password was reset)
            state.update(used_slots(reset, ~np.isnan(self.reset_at_), _RESET_FILLS, "reset_"))
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.pairs_ = CountTable(("seen", "learned", "trusted", "usual_days"), ("usual_last",))
        if "pair_keys" in state:
            self.pairs_.load_state(state, "pair_")
        else:  # a snapshot from before the four tables were one: merged (same numbers)
            self.pairs_.merge_pair_table(state, "sightings_", "seen")
            self.pairs_.merge_pair_table(state, "pairs_", "learned")
            # (saved before trust was tracked: everything learned counts as trusted)
            trusted = "trusted_" if "trusted_keys" in state else "pairs_"
            self.pairs_.merge_pair_table(state, trusted, "trusted")
            if "habitual_keys" in state:  # (saved before release from quarantine: none)
                self.pairs_.merge_pair_table(state, "habitual_", "usual_days", "usual_last")
        # (older snapshots hold the whole counts as float64: the same numbers, narrowed)
        self.value_entities_ = narrow_counts(state["value_entities"])
        state = {**state, **all_slots(state, _ENTITY_FILLS, "entity_")}
        state = {**state, **all_slots(state, _RESET_FILLS, "reset_")}
        self.entity_first_ = stored_times(state["entity_first"])  # (float64 before: rounded)
        self.entity_count_ = narrow_counts(state["entity_count"])
        self.entity_distinct_ = narrow_counts(state["entity_distinct"])
        # State saved before release from quarantine existed: no hours, no habitual values yet.
        if "entity_hours_mask" in state:  # (saved sparse: a row per entity in hour_entities)
            shape = (len(state["hour_entities"]), 24)
            hours = dense_rows(state["entity_hours_mask"], state["entity_hours"], shape)
        else:
            hours = np.asarray(state.get("entity_hours", np.zeros((0, 24)))).reshape(-1, 24)
        if "hour_entities" in state:
            ids = np.asarray(state["hour_entities"], dtype=np.uint32)
        else:  # saved dense, a row per entity id: the rows that counted anything (same numbers)
            ids = np.flatnonzero(hours.sum(axis=1) > 0).astype(np.uint32)
            hours = hours[ids]
        self.hours_ = HourProfiles.from_dense(ids, hours)
        # State saved before resets were tracked: none known.
        self.reset_at_ = np.asarray(state.get("reset_at", np.empty(0)), dtype=np.float64)


#: Per-entity columns saved at the used ids only (:func:`used_slots`) and what the others hold.
_ENTITY_FILLS: dict[str, float] = {"entity_first": NEVER, "entity_count": 0, "entity_distinct": 0}
_RESET_FILLS: dict[str, float] = {"reset_at": np.nan}

#: Account-change verbs that give an account a new password chosen by whoever made the change.
_RESET_VERBS = frozenset({"password_reset", "password_set"})

_VERBS = {
    Action.LOGON: "signed in",
    Action.AUTH_TICKET: "authenticated",
    Action.API_CALL: "made API calls",
    Action.EXPLICIT_CREDENTIAL: "used explicit credentials",
    Action.PRIVILEGE_USE: "used privileges",
}


def _verb(action: Action) -> str:
    return _VERBS.get(action, f"had a {action.value} event")


__all__ = ["DAY", "NoveltyDetector"]


def _empty_view() -> dict[str, np.ndarray]:
    """What :meth:`NoveltyDetector._view` gives for a batch with no relevant row."""
    flags = ("flagged", "reported", "held", "young", "first_sighting", "mature", "new_day")
    reals = ("time", "count_before", "distinct_before", "first_seen", "others", "day")
    view: dict[str, np.ndarray] = {name: np.zeros(0, dtype=np.bool_) for name in flags}
    view.update({name: np.zeros(0, dtype=np.float64) for name in reals})
    view.update({name: np.zeros(0, dtype=np.int64) for name in ("rows", "keys", "hour")})
    view.update({name: np.zeros(0, dtype=np.int32) for name in ("entity", "attribute")})
    return view
