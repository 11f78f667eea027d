"""Signals -> per-entity decayed risk -> incidents -> alerts.

Every signal adds its points to its entity's risk, which halves every ``half_life_hours``. An
incident opens when risk crosses ``alert_bar`` (so one strong signal, or several weak ones close
together, alert), and stays open while signals keep arriving within ``incident_idle_hours``.
Later evidence is folded into the open incident; an update (same ``incident_key``, next
``version``) is emitted only when the severity rises or a new detector contributes, so on-call
sees one alert per incident, not one per event. An incident that closes spends its evidence: the
entity's risk starts again from zero.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from detectors.base import Signals
from detectors.batch import BatchBuilder, EventBatch
from schemas.alert import SEVERITIES, Alert, EntityRef, Evidence, Factor, severity_for_score
from schemas.event import Event

HOUR = 3600.0


@dataclass(frozen=True)
class RiskConfig:
    half_life_hours: float = 48.0
    alert_bar: float = 40.0
    incident_idle_hours: float = 48.0
    max_factors: int = 20
    max_evidence: int = 50
    max_related: int = 10
    # A finding's n-th repeat within the half-life weighs repeat_weight ** n: the same detector
    # seeing the same thing again (thirty API calls from one new network) is one fact, not
    # thirty, so by default it adds nothing; it comes back in full once the half-life passed.
    repeat_weight: float = 0.0
    reported_weight: float = 0.2  # a finding reported in an earlier incident, whenever it returns
    burst_minutes: float = 10.0  # one detector's findings this close together are one burst
    burst_weight: float = 0.7  # the n-th further finding of a burst weighs burst_weight ** n
    # Rank a burst's findings by strength, not arrival: a scheduled task registered a second
    # after its weak IPC$ pipe is the action, the pipe its artefact. In arrival order the pipe
    # counted in full and the task at 0.7; ranked, the burst counts as if the task came first.
    # Off by default: on the 27 sets it cost 4 false alerts and 1 false page (a new hire's
    # computer account then user account, PsExec and DameWare installs) for one remote task
    # caught on the round-8 set (README, "Attack variants").
    burst_by_strength: bool = False
    slow_half_life_hours: float = 336.0  # the slow account: 14 days
    slow_bar: float = 60.0  # slow risk that opens an incident (scored at the alert bar)
    # An incident in which one finding worth at least ``recurrence_points`` (half the alert
    # bar: nearly an incident on its own) came back on ``recurrence_days`` distinct days (UTC),
    # each of them with findings through at least ``recurrence_aspects`` independent aspects,
    # is at least ``corroborated_score`` (high): the same unexplained fact (a machine nobody
    # else uses, signing in with NTLM) recurring days apart is a credential in use. Such an
    # incident is otherwise scored at the alert bar: the slow account, or the fast risk of the
    # latest use plus what is left of the one before. 0 = off; 25 and 2 aspects: README round 10.
    recurrence_points: float = 25.0
    recurrence_days: int = 2
    recurrence_aspects: int = 2
    # A repeat of the same finding at least this long after its latest report counts in full
    # for the slow account (not the fast risk): uses two days apart are two uses even inside
    # the half-life (0 = off: a repeat within the half-life adds nothing to either).
    slow_repeat_hours: float = 0.0
    # Corroboration: this many independent aspects (where from, when, which client, how signed
    # in, what was reached, ...) each contributing at least ``corroboration_min_points`` to one
    # entity within ``corroboration_hours`` make the incident at least ``corroborated_score``
    # (high). Each aspect alone is weak and common; several at once for one account is how
    # misuse of a credential looks (0 switches this off). Splunk's risk-based alerting uses the
    # same idea (distinct sources / tactics for one risk object).
    corroboration_aspects: int = 3
    corroboration_min_points: float = 5.0
    corroboration_hours: float = 24.0
    corroborated_score: float = 65.0
    # Whether a finding reported in an earlier incident still counts as an aspect (at its
    # weight before the reported discount): a known new network does not reopen an incident,
    # but the same network *with* an odd hour and a password sign-in again is the same misuse.
    corroboration_counts_reported: bool = True
    # An incident open this long closes at its next finding, like an idle one: a long-running
    # incident fed by routine findings must not swallow a later, unrelated attack (0 = never).
    incident_max_hours: float = 168.0
    # A single new finding worth this share of the alert bar is news for an open incident even
    # when the severity holds and its detector already contributed: the same admin resetting a
    # second privileged account a day later reaches on-call as an update instead of being folded
    # in silently. 0 (the default) = only when the unsent evidence reaches the bar: 0.5 caught
    # that second reset (seeds 141-142) but cost one false alert on 71-74 (README, round 5).
    news_share: float = 0.0

    def __post_init__(self) -> None:
        if self.half_life_hours <= 0 or self.incident_idle_hours <= 0:
            raise ValueError("risk: half_life_hours and incident_idle_hours must be > 0")
        if not 0 < self.alert_bar <= 100:
            raise ValueError("risk: alert_bar must be in (0, 100]")
        if self.slow_half_life_hours < self.half_life_hours or self.slow_bar < self.alert_bar:
            raise ValueError("risk: the slow account must decay slower and open later")
        if not 0 <= self.burst_weight <= 1 or self.burst_minutes < 0:
            raise ValueError("risk: burst_weight must be in [0, 1] and burst_minutes >= 0")
        if not 0 <= self.repeat_weight <= 1 or not 0 <= self.reported_weight <= 1:
            raise ValueError("risk: repeat_weight and reported_weight must be in [0, 1]")
        if self.corroboration_aspects < 0 or self.incident_max_hours < 0:
            raise ValueError("risk: corroboration_aspects and incident_max_hours must be >= 0")
        if self.recurrence_points < 0 or self.recurrence_days < 1 or self.slow_repeat_hours < 0:
            raise ValueError("risk: recurrence and slow repeat settings must be >= 0")
        if not 0 <= self.news_share <= 1:
            raise ValueError("risk: news_share must be in [0, 1]")
        if not 0 < self.corroborated_score <= 100 or self.corroboration_hours <= 0:
            raise ValueError("risk: corroborated_score in (0, 100], corroboration_hours > 0")


#: What a detector looks at. Detectors reading the same event through the same aspect see
#: largely the same thing (a new network is usually also a new ASN and country; a PsExec service
#: install is both an artefact and a lifecycle event), so their findings on one event are
#: discounted; findings through different aspects (where from, when, with which client, how
#: authenticated, what was reached) are independent evidence and add up in full.
ASPECTS: dict[str, str] = {
    "rare_source_network": "source",
    "rare_asn": "source",
    "rare_country": "source",
    "rare_device": "source",
    "rare_workstation": "source",
    "lateral_new_path": "source",  # a new internal address for this account at this host
    "login_relay": "source",  # a hop machine's address the account holds no session on
    "impossible_travel": "source",
    "concurrent_sources": "source",
    "shared_indicator": "source",
    "instance_credentials": "source",  # an instance's role credentials used from outside it
    "rare_user_agent": "client",
    "rare_auth_method": "auth",
    "rare_console_auth": "auth",  # the console channel's own habit (MFA dropped)
    "rare_credential_kind": "auth",  # a long-term key signing calls that sessions signed
    "rare_pre_auth": "auth",  # a TGT by certificate (PKINIT) for a password account
    "service_interactive": "auth",  # a desktop logon type for a network-only account
    "rare_time_of_week": "time",
    "dormant_account": "time",
    "failed_logons_user": "failures",
    "failed_logons_source": "failures",
    "password_spray": "failures",
    "success_after_spray": "failures",
    "switch_guessing": "failures",  # su to several accounts failing from one session
    "lateral_new_host": "reach",
    "lateral_new_edge": "reach",
    "lateral_fanout_user": "reach",
    "lateral_fanout_source": "reach",
    "lateral_rdp_fanout": "reach",
    "login_chain": "reach",
    "remote_exec": "execution",
    "account_lifecycle": "execution",
    "privileged_action": "privilege",
    "group_change": "privilege",
    "rare_api_call": "api",
    "kerberoasting": "tickets",
    "discovery": "discovery",  # whoami, quser, nltest: what the account asked once inside
}


#: For corroboration, what an account *did* (hosts reached, tools run, privileges used) is one
#: aspect however many detectors see it: an admin's ordinary day reaches hosts, runs PsExec and
#: uses sudo, and must not look like three independent coincidences. Where from, when, with
#: which client and how the account signed in are each their own aspect.
CORROBORATION_ASPECTS: dict[str, str] = {
    "reach": "activity",
    "execution": "activity",
    "privilege": "activity",
    "api": "activity",
    "tickets": "activity",
    "discovery": "activity",
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


class RiskLayer:
    """Per-entity risk and open incidents. State is JSON-able dicts (no pickle)."""

    def __init__(self, config: RiskConfig | None = None) -> None:
        self.config = config or RiskConfig()
        # entity key -> {"risk", "t", "factors": [...]} ; factors are recent sub-bar signals
        self.entities_: dict[str, dict[str, Any]] = {}
        # entity key -> open incident
        self.incidents_: dict[str, dict[str, Any]] = {}

    def update(
        self, all_signals: list[Signals], batch: EventBatch, builder: BatchBuilder
    ) -> list[Alert]:
        """Fold one batch's signals in time order; return new and updated alerts."""
        # (row, entity kind, entity id, -points, detector position, index in signals): per event
        # and entity, strongest first.
        items: list[tuple[int, str, int, float, int, int]] = []
        aspects = [ASPECTS.get(signals.detector, signals.detector) for signals in all_signals]
        for position, signals in enumerate(all_signals):
            items.extend(
                (int(row), signals.entity_kind, int(entity), -float(points), position, index)
                for index, (row, entity, points) in enumerate(
                    zip(
                        signals.rows.tolist(),
                        signals.entity.tolist(),
                        signals.points.tolist(),
                        strict=True,
                    )
                )
            )
        items.sort()
        emitted: dict[str, Alert] = {}
        seen: dict[tuple[int, str, int, str], int] = {}
        for row, kind, entity, _, position, index in items:
            marker = (row, kind, entity, aspects[position])
            rank = seen.get(marker, 0)
            seen[marker] = rank + 1
            signals = all_signals[position]
            # Several detectors reading the same event about the same entity through the same
            # aspect see partly the same thing: the strongest counts fully, each further one
            # half as much as the one before. (A finding about another entity of that event, or
            # through another aspect, is not discounted.)
            alert = self._fold(signals, index, row, batch, builder, 0.5**rank)
            if alert is not None:
                emitted[alert.incident_key] = alert  # only the latest version per batch
        return list(emitted.values())

    def _fold(
        self,
        signals: Signals,
        index: int,
        row: int,
        batch: EventBatch,
        builder: BatchBuilder,
        weight: float = 1.0,
    ) -> Alert | None:
        cfg = self.config
        event = batch.events[row]
        t = float(batch.time[row])
        vocab = builder.vocab[signals.entity_kind]
        entity_id = vocab.value(int(signals.entity[index]))
        key = f"{event.tenant}|{signals.entity_kind}|{entity_id}"
        points = float(signals.points[index]) * weight
        state = self.entities_.setdefault(key, {"risk": 0.0, "t": t, "factors": []})
        observed = signals.observed[index] if signals.observed else ""
        same = [
            f
            for f in state["factors"]
            if f["detector"] == signals.detector
            and f["observed"] == observed
            and t - f["time"] < cfg.half_life_hours * HOUR
        ]
        repeats = len(same)
        slow_points: float | None = None  # what the slow account gets, when not ``points``
        # The same finding again soon after (a burst reusing the same new network) is the same
        # evidence and must not escalate like a new, independent signal: each repeat weighs less
        # (by default nothing). The same finding coming back days later is the slow pattern, and
        # counts in full. A repeat that is a clearly *stronger* report of it (at least 1.5x: a
        # process Sysmon saw before its logon at half weight, then 4688 right after it in full)
        # adds what it exceeds the strongest earlier report by: the finding then counts once, as
        # its stronger version. (A novelty score creeping up with its count is not stronger.)
        strength = points
        if repeats:
            earlier = max(float(f.get("strength", f["points"])) for f in same)
            stronger = points - earlier if points >= 1.5 * earlier else 0.0
            latest = max(f["time"] for f in same)
            if cfg.slow_repeat_hours > 0 and t - latest >= cfg.slow_repeat_hours * HOUR:
                slow_points = points
            points = points * cfg.repeat_weight**repeats + stronger
        # A finding already reported in an earlier incident of this entity is known to on-call
        # (and feedback is how to silence it for good): it counts as a repeat however much later
        # it comes back, so a routine flagged action does not reopen an incident every few days.
        unreported_points = points
        discount = 1.0  # the reported and burst discounts, which apply to the slow account too
        if any(
            f.get("reported") and f["detector"] == signals.detector and f["observed"] == observed
            for f in state["factors"]
        ):
            points *= cfg.reported_weight
            discount = cfg.reported_weight
        # One action leaves several artefacts at once (PsExec: share, pipe, file, service): the
        # same detector's other findings on this entity within minutes are one burst, and each
        # further one weighs less than the one before.
        # Findings of another action of the same detector (the success that ended a failure
        # burst) are a new fact, not another artefact.
        action = signals.action(index)
        members = [
            float(f.get("pre", f["points"]))
            for f in state["factors"]
            if f["detector"] == signals.detector
            and f.get("action", "") == action
            and f["observed"] != observed
            and t - f["time"] < cfg.burst_minutes * 60.0
        ]
        pre_burst = points
        factor_share = cfg.burst_weight ** len(members)
        if members and cfg.burst_by_strength and points > 0:
            # What the burst is worth with this finding, minus what it was worth without it,
            # both ranked strongest first: never less than burst_weight ** n of it.
            share = _burst_total([*members, points], cfg.burst_weight) - _burst_total(
                members, cfg.burst_weight
            )
            factor_share = share / points
        points *= factor_share
        unreported_points *= factor_share
        discount *= factor_share
        slow_points = points if slow_points is None else max(points, slow_points * discount)
        incident = self.incidents_.get(key)
        if incident is not None and (
            t - incident["last"] > cfg.incident_idle_hours * HOUR
            or (
                cfg.incident_max_hours > 0
                and t - incident.get("opened", incident["first"]) > cfg.incident_max_hours * HOUR
            )
        ):
            # The incident closes: its evidence was reported and is spent. What is left of the
            # risk it built (half of a critical incident's after 48 h) must not open the next
            # incident on the first trivial finding, let alone at the old severity.
            del self.incidents_[key]
            incident = None
            state["risk"] = 0.0
            state["slow"] = 0.0
        elapsed = max(0.0, t - state["t"])
        state["risk"] = state["risk"] * 0.5 ** (elapsed / (cfg.half_life_hours * HOUR)) + points
        # The slow account: weak findings that keep coming back over weeks (a stolen password
        # used every few days at night) add up here long after the fast risk has decayed.
        state["slow"] = (
            state.get("slow", 0.0) * 0.5 ** (elapsed / (cfg.slow_half_life_hours * HOUR))
            + slow_points
        )
        state["t"] = max(state["t"], t)
        factor = {
            "detector": signals.detector,
            "title": signals.titles[index] if signals.titles else signals.detector,
            "observed": observed,
            "baseline": signals.baseline[index] if signals.baseline else "",
            "points": round(points, 2),
            "unreported_points": round(unreported_points, 2),
            "time": t,
            "record": event.record_id or f"{event.source_format}:{t}",
            "mitre": list(signals.techniques(index)),
            "action": action,
            "related": _related(event, signals.entity_kind, entity_id),
        }
        strongest = max([strength, *(float(f.get("strength", f["points"])) for f in same)])
        if round(strongest, 2) != factor["points"]:  # (kept only where it differs: state size)
            factor["strength"] = round(strongest, 2)
        if members and round(pre_burst, 2) != factor["points"]:  # its rank in later bursts
            factor["pre"] = round(pre_burst, 2)
        if round(slow_points, 2) != factor["points"]:  # a repeat that counted for the slow account
            factor["slow"] = round(slow_points, 2)
        horizon = t - max(4 * cfg.half_life_hours, 2 * cfg.slow_half_life_hours) * HOUR
        state["factors"] = [f for f in state["factors"] if f["time"] >= horizon][-cfg.max_factors :]
        state["factors"].append(factor)

        slow_score = state["slow"] * cfg.alert_bar / cfg.slow_bar
        score = min(100.0, max(state["risk"], slow_score))
        aspects = self._corroborating(state["factors"], t)
        if score >= cfg.alert_bar and len(aspects) >= cfg.corroboration_aspects > 0:
            score = max(score, cfg.corroborated_score)
        if cfg.recurrence_points > 0 and score >= cfg.alert_bar:
            evidence = (
                incident["factors"] + [factor]
                if incident is not None
                else [f for f in state["factors"] if not f.get("reported")]
            )
            if self._recurring(evidence):
                score = max(score, cfg.corroborated_score)
        if incident is None:
            if score < cfg.alert_bar:
                return None
            # Findings already reported in an earlier incident stay in the entity's recent
            # history (for repeat and burst weighting) but are not evidence again.
            fresh = [f for f in state["factors"] if not f.get("reported")]
            for f in state["factors"]:
                f["reported"] = True
            first = fresh[0]
            incident = {
                # Keyed by the evidence that opened it: a later incident of the same entity,
                # whose recent factors may reach back to the same first record, gets its own key.
                "key": _digest(
                    event.tenant,
                    signals.entity_kind,
                    entity_id,
                    first["record"],
                    str(factor["record"]),
                    str(t),
                ),
                "tenant": event.tenant,
                "kind": signals.entity_kind,
                "entity": entity_id,
                "first": first["time"],
                "opened": t,
                "last": t,
                "score": score,
                "version": 1,
                "factors": fresh,
                "detectors": sorted({f["detector"] for f in fresh}),
                "aspects": aspects,
            }
            self.incidents_[key] = incident
            # The evidence is now in an incident: the slow account starts over, so a closed
            # incident is not reopened by old findings the next time anything small happens.
            state["slow"] = 0.0
            return self._alert(incident)
        factor["reported"] = True
        before_severity = severity_for_score(incident["score"])
        before_detectors = set(incident["detectors"])
        incident["last"] = max(incident["last"], t)
        incident["score"] = max(incident["score"], score)
        incident["factors"] = (incident["factors"] + [factor])[-cfg.max_evidence :]
        incident["detectors"] = sorted(before_detectors | {signals.detector})
        if len(aspects) > len(incident.get("aspects", [])):
            incident["aspects"] = aspects
        rose = SEVERITIES.index(severity_for_score(incident["score"])) > SEVERITIES.index(
            before_severity
        )
        # New evidence that would open an incident on its own is news even when the score is
        # already capped and every detector already contributed (a second PsExec spree by the
        # same admin two days later): on-call gets an update, not silence.
        incident["unsent"] = incident.get("unsent", 0.0) + points
        news = cfg.news_share > 0 and points >= cfg.news_share * cfg.alert_bar
        if (
            rose
            or news
            or signals.detector not in before_detectors
            or incident["unsent"] >= cfg.alert_bar
        ):
            incident["version"] += 1
            incident["unsent"] = 0.0
            return self._alert(incident)
        return None

    def _recurring(self, factors: list[dict[str, Any]]) -> bool:
        """Whether one strong finding came back on enough days, each with a second aspect."""
        cfg = self.config
        days: dict[tuple[str, str], set[int]] = {}
        day_aspects: dict[int, set[str]] = {}
        for f in factors:
            day = int(f["time"] // 86400)
            aspect = ASPECTS.get(f["detector"], f["detector"])
            day_aspects.setdefault(day, set()).add(CORROBORATION_ASPECTS.get(aspect, aspect))
            # A repeat within the half-life counts here only where it counted for the slow
            # account (``slow_repeat_hours``), at full strength. A finding already reported
            # (in this incident or an earlier one) counts at its strength before that discount,
            # as for corroboration: the discount keeps a known fact from reopening incidents,
            # it does not make the fact's coming back on another day less of a recurrence.
            strength = max(f["points"], f.get("unreported_points", 0.0), f.get("slow", 0.0))
            if strength >= cfg.recurrence_points:
                days.setdefault((f["detector"], f["observed"]), set()).add(day)
        return any(
            len([d for d in recurring if len(day_aspects[d]) >= cfg.recurrence_aspects])
            >= cfg.recurrence_days
            for recurring in days.values()
        )

    def _corroborating(self, factors: list[dict[str, Any]], t: float) -> list[str]:
        """Aspects with a finding of weight on the entity within the corroboration window."""
        cfg = self.config
        if cfg.corroboration_aspects <= 0:
            return []
        since = t - cfg.corroboration_hours * HOUR
        return sorted(
            {
                CORROBORATION_ASPECTS.get(aspect, aspect)
                for f in factors
                for aspect in (ASPECTS.get(f["detector"], f["detector"]),)
                if f["time"] >= since
                and (
                    f.get("unreported_points", f["points"])
                    if cfg.corroboration_counts_reported
                    else f["points"]
                )
                >= cfg.corroboration_min_points
            }
        )

    def _alert(self, incident: dict[str, Any]) -> Alert:
        cfg = self.config
        factors = incident["factors"]
        by_points = sorted(factors, key=lambda f: -f["points"])
        top = by_points[0]
        others = len({f["detector"] for f in factors}) - 1
        title = top["title"] + (
            f"; plus {len(factors) - 1} more signal(s) from {others} other detector(s)"
            if others
            else ""
        )
        aspects = incident.get("aspects", [])
        if len(aspects) >= cfg.corroboration_aspects > 0:
            # Why the severity is what it is, when no single finding is strong.
            title += (
                f"; {len(aspects)} independent aspects within "
                f"{cfg.corroboration_hours:g} h ({', '.join(aspects)})"
            )
        explanation: list[Factor] = []
        seen: set[tuple[str, str]] = set()
        for f in by_points:
            marker = (f["detector"], f["observed"])
            if marker in seen:
                continue
            seen.add(marker)
            explanation.append(
                Factor(
                    detector=f["detector"],
                    observed=f["observed"],
                    baseline=f["baseline"],
                    contribution=f["points"],
                )
            )
            if len(explanation) >= cfg.max_factors:
                break
        related: list[EntityRef] = []
        for f in factors:
            for kind, value in f["related"]:
                ref = EntityRef(type=kind, id=value)
                if ref not in related and len(related) < cfg.max_related:
                    related.append(ref)
        # Techniques of the strongest findings, not every technique a contributing detector
        # could ever map to.
        mitre = sorted({m for f in by_points[:3] for m in f["mitre"]})
        evidence = [
            Evidence(id=f["record"], time=datetime.fromtimestamp(f["time"], UTC)) for f in factors
        ]
        score = round(float(incident["score"]), 1)
        return Alert(
            id=_digest(incident["key"], str(incident["version"])),
            incident_key=incident["key"],
            tenant=incident["tenant"],
            time=datetime.fromtimestamp(incident["first"], UTC),
            last_seen=datetime.fromtimestamp(incident["last"], UTC),
            detector=top["detector"],
            severity=severity_for_score(score),
            score=score,
            entity=EntityRef(type=incident["kind"], id=incident["entity"]),
            title=title,
            related=related,
            explanation=explanation,
            evidence=evidence[: cfg.max_evidence],
            mitre=mitre,
            version=incident["version"],
        )

    def state(self) -> dict[str, Any]:
        return {"entities": self.entities_, "incidents": self.incidents_}

    def load_state(self, state: dict[str, Any]) -> None:
        self.entities_ = dict(state.get("entities", {}))
        self.incidents_ = dict(state.get("incidents", {}))

    def open_incidents(self) -> int:
        return len(self.incidents_)


def _related(event: Event, entity_kind: str, entity_id: str) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    if event.user and not (entity_kind == "user" and event.user == entity_id):
        refs.append(("user", event.user))
    if event.target_user and event.target_user != entity_id:
        refs.append(("user", event.target_user))
    for host in (event.src_host, event.dst_host):
        if host and not (entity_kind == "host" and host == entity_id):
            refs.append(("host", host))
    if event.src_ip and not (entity_kind == "ip" and event.src_ip == entity_id):
        refs.append(("ip", event.src_ip))
    return refs


def _burst_total(points: list[float], weight: float) -> float:
    """A burst's worth: its findings strongest first, the n-th weighed ``weight ** n``."""
    return sum(p * weight**rank for rank, p in enumerate(sorted(points, reverse=True)))
