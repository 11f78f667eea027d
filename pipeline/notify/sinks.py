"""Alert sinks, chosen by name: ``webhook``, ``pagerduty``, ``slack``.

A sink renders an :class:`~schemas.alert.Alert` into one HTTP request and says which alerts
it wants. Secrets (the PagerDuty routing key, the webhook signing secret) come from the
environment mapping passed in, are used only when a request is rendered, and are never part
of ``repr``, a log line, or the outbox on disk (the outbox stores the alert, not the request).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import msgspec

from pipeline.notify.http import check_url
from schemas.alert import SEVERITIES, Alert, Severity, encode_alert

UpdatePolicy = Literal["all", "escalation"]

PAGERDUTY_ENQUEUE_URL = "https://events.pagerduty.com/v2/enqueue"
PAGERDUTY_KEY_ENV = "VIGIL_PAGERDUTY_ROUTING_KEY"
WEBHOOK_SECRET_ENV = "VIGIL_WEBHOOK_SECRET"  # noqa: S105 - the variable name, not a secret
SIGNATURE_HEADER = "X-Vigil-Signature"

PAGERDUTY_SEVERITY: dict[str, str] = {
    "critical": "critical",
    "high": "error",
    "medium": "warning",
    "low": "info",
    "info": "info",
}


class SinkConfigError(ValueError):
    """A sink specification or setting is unusable; the message says how to fix it."""


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class SinkSettings:
    """Delivery settings of one sink (all optional in configuration)."""

    min_severity: Severity
    timeout_s: float = 10.0
    rate_per_minute: float = 30.0
    burst: int = 10
    max_age_s: float = 24 * 3600.0  # transient failures are retried until an item is this old
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 60.0
    max_retry_after_s: float = 300.0
    updates: UpdatePolicy = "all"

    def __post_init__(self) -> None:
        if self.min_severity not in SEVERITIES:
            raise SinkConfigError(f"min_severity must be one of {', '.join(SEVERITIES)}")
        if self.timeout_s <= 0 or self.backoff_base_s < 0 or self.backoff_cap_s < 0:
            raise SinkConfigError("timeout_s must be > 0 and backoff times >= 0")
        if self.rate_per_minute <= 0 or self.burst < 1 or self.max_age_s <= 0:
            raise SinkConfigError("rate_per_minute > 0, burst >= 1 and max_age_s > 0 needed")
        if self.updates not in ("all", "escalation"):
            raise SinkConfigError("updates must be 'all' or 'escalation'")


class Sink:
    """Base class: ``kind`` names it in the registry; subclasses implement :meth:`render`."""

    kind: ClassVar[str] = ""
    default_min_severity: ClassVar[Severity] = "medium"
    default_updates: ClassVar[UpdatePolicy] = "all"

    def __init__(self, name: str, url: str, settings: SinkSettings) -> None:
        self.name = name
        self._url = check_url(url)
        self.settings = settings

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:  # never the URL: a Slack URL is a credential
        return f"{type(self).__name__}(name={self.name!r})"

    def wants(self, alert: Alert) -> bool:
        return severity_rank(alert.severity) >= severity_rank(self.settings.min_severity)

    def render(self, alert: Alert, *, update_of: int | None = None) -> Rendered:
        """The request for ``alert``; ``update_of`` is the version last delivered, if any."""
        raise NotImplementedError


class WebhookSink(Sink):
    """POSTs the alert JSON itself; signs it when ``VIGIL_WEBHOOK_SECRET`` is set.

    ``X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, body)>``. ``X-Vigil-Incident-Key``
    and ``X-Vigil-Alert-Version`` let a receiver fold updates into one incident.
    """

    kind = "webhook"

    def __init__(
        self, name: str, url: str, settings: SinkSettings, *, secret: str | None = None
    ) -> None:
        super().__init__(name, url, settings)
        self._secret = secret.encode() if secret else None

    def render(self, alert: Alert, *, update_of: int | None = None) -> Rendered:
        body = encode_alert(alert)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "vigil-notify/1",
            "Idempotency-Key": alert.id,
            "X-Vigil-Incident-Key": alert.incident_key,
            "X-Vigil-Alert-Version": str(alert.version),
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = "sha256=" + sign(self._secret, body)
        return Rendered(body=body, headers=headers)


def sign(secret: bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body``, as in ``X-Vigil-Signature``.

    >>> sign(b"k", b"{}")[:16]
    'add853b103fbcc93'
    """
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def _factor_details(alert: Alert) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(f) for f in alert.explanation]


class PagerDutySink(Sink):
    """PagerDuty Events API v2 ``trigger`` events; ``dedup_key`` is the incident key, so a
    later version of an incident updates the open PagerDuty incident instead of paging again."""

    kind = "pagerduty"
    default_min_severity = "high"

    def __init__(self, name: str, url: str, settings: SinkSettings, *, routing_key: str) -> None:
        super().__init__(name, url, settings)
        if not routing_key:
            raise SinkConfigError(f"pagerduty sink needs the routing key in ${PAGERDUTY_KEY_ENV}")
        self._routing_key = routing_key

    def render(self, alert: Alert, *, update_of: int | None = None) -> Rendered:
        payload = {
            "routing_key": self._routing_key,
            "event_action": "trigger",
            "dedup_key": alert.incident_key,
            "client": "Vigil",
            "payload": {
                "summary": alert.title[:1024] or f"{alert.detector} on {alert.entity.type}",
                "source": f"{alert.entity.type}:{alert.entity.id}",
                "severity": PAGERDUTY_SEVERITY[alert.severity],
                "timestamp": alert.time.isoformat(),
                "component": alert.entity.type,
                "group": alert.tenant,
                "class": alert.detector,
                "custom_details": {
                    "alert_id": alert.id,
                    "incident_key": alert.incident_key,
                    "version": alert.version,
                    "tenant": alert.tenant,
                    "severity": alert.severity,
                    "score": alert.score,
                    "entity": msgspec.to_builtins(alert.entity),
                    "related": msgspec.to_builtins(alert.related),
                    "explanation": _factor_details(alert),
                    "mitre": list(alert.mitre),
                    "first_seen": alert.time.isoformat(),
                    "last_seen": alert.last_seen.isoformat(),
                    "evidence_count": len(alert.evidence),
                },
            },
        }
        body = msgspec.json.encode(payload)
        return Rendered(body=body, headers={"Content-Type": "application/json"})

    def __repr__(self) -> str:
        return f"PagerDutySink(name={self.name!r})"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackSink(Sink):
    """Slack incoming-webhook message: the one-sentence title, then the factors.

    A channel is read by people, so by default only a new incident or an escalation of its
    severity is posted; other updates are counted as deduplicated.
    """

    kind = "slack"
    default_updates = "escalation"
    MAX_FACTORS = 10
    MAX_BLOCK_TEXT = 2900

    def render(self, alert: Alert, *, update_of: int | None = None) -> Rendered:
        prefix = "" if update_of is None else "Escalated: "
        headline = f"{prefix}[{alert.severity.upper()}] {alert.title}"
        factor_lines = [
            f"• *{_slack_escape(f.observed)}* (baseline: {_slack_escape(f.baseline)}; "
            f"{f.detector}, weight {f.contribution:.2f})"
            for f in alert.explanation[: self.MAX_FACTORS]
        ]
        context = (
            f"tenant `{_slack_escape(alert.tenant)}` · {alert.entity.type} "
            f"`{_slack_escape(alert.entity.id)}` · detector `{alert.detector}` · "
            f"score {alert.score:.0f} · incident `{alert.incident_key}` v{alert.version}"
        )
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _slack_escape(headline)[: self.MAX_BLOCK_TEXT]},
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:2900]}]},
        ]
        if factor_lines:
            blocks.append(
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "\n".join(factor_lines)[: self.MAX_BLOCK_TEXT],
                    },
                }
            )
        body = msgspec.json.encode({"text": headline[:3000], "blocks": blocks})
        return Rendered(body=body, headers={"Content-Type": "application/json"})


# -- registry -------------------------------------------------------------------------------

SinkFactory = Callable[[str, str, SinkSettings, Mapping[str, str]], Sink]

SINKS: dict[str, SinkFactory] = {
    "webhook": lambda name, url, settings, env: WebhookSink(
        name, url, settings, secret=env.get(WEBHOOK_SECRET_ENV) or None
    ),
    "pagerduty": lambda name, url, settings, env: PagerDutySink(
        name, url, settings, routing_key=env.get(PAGERDUTY_KEY_ENV, "")
    ),
    "slack": lambda name, url, settings, env: SlackSink(name, url, settings),
}
SINK_CLASSES: dict[str, type[Sink]] = {
    "webhook": WebhookSink,
    "pagerduty": PagerDutySink,
    "slack": SlackSink,
}


@dataclass(frozen=True)
class SinkSpec:
    """One configured sink: ``kind``, ``url``, an optional ``name`` and settings overrides."""

    kind: str
    url: str
    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    url_env: str | None = None  # take the URL from this environment variable (Slack's is a secret)

    @classmethod
    def parse(cls, text: str) -> SinkSpec:
        """``KIND=URL`` or ``KIND:NAME=URL`` (``--notify``); ``pagerduty`` alone uses the
        public Events API v2 endpoint.

        >>> SinkSpec.parse("slack:soc=https://hooks.example/T/B/x").name
        'soc'
        >>> SinkSpec.parse("pagerduty").url
        'https://events.pagerduty.com/v2/enqueue'
        """
        head, sep, url = text.partition("=")
        kind, _, name = head.strip().partition(":")
        kind = kind.strip().lower()
        if not sep and kind == "pagerduty":
            url = PAGERDUTY_ENQUEUE_URL
        if kind not in SINKS:
            raise SinkConfigError(
                f"unknown notification kind {kind!r} in --notify; use one of {sorted(SINKS)} "
                "as KIND=URL"
            )
        if not url.strip():
            raise SinkConfigError(f"--notify {kind} needs a URL: {kind}=https://...")
        return cls(kind=kind, url=url.strip(), name=name.strip() or None)

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> SinkSpec:
        """From a config table: ``{kind, url | url_env, name?, min_severity?, ...}``.

        >>> SinkSpec.from_dict({"kind": "slack", "url_env": "SLACK_URL", "burst": 2}).options
        {'burst': 2}
        """
        data = dict(table)
        kind = str(data.pop("kind", "")).lower()
        if kind not in SINKS:
            raise SinkConfigError(f"notify: kind must be one of {sorted(SINKS)}, got {kind!r}")
        url_env = data.pop("url_env", None)
        default_url = PAGERDUTY_ENQUEUE_URL if kind == "pagerduty" and not url_env else ""
        url = str(data.pop("url", default_url))
        if bool(url) == bool(url_env):
            raise SinkConfigError(f"notify {kind}: give exactly one of url or url_env")
        name = data.pop("name", None)
        allowed = set(SinkSettings.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise SinkConfigError(
                f"notify {kind}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        return cls(
            kind=kind,
            url=url,
            name=str(name) if name else None,
            options=data,
            url_env=str(url_env) if url_env else None,
        )


def build_sink(spec: SinkSpec, name: str, env: Mapping[str, str]) -> Sink:
    """Instantiate the sink ``spec`` names, with its defaults overridden by ``spec.options``."""
    cls = SINK_CLASSES[spec.kind]
    options: dict[str, Any] = {
        "min_severity": cls.default_min_severity,
        "updates": cls.default_updates,
        **spec.options,
    }
    try:
        settings = SinkSettings(**options)
    except TypeError as exc:
        raise SinkConfigError(f"notify {name}: {exc}") from exc
    url = spec.url
    if spec.url_env:
        url = env.get(spec.url_env, "")
        if not url:
            raise SinkConfigError(f"notify {name}: environment variable {spec.url_env} is not set")
    try:
        return SINKS[spec.kind](name, url, settings, env)
    except ValueError as exc:
        raise SinkConfigError(f"notify {name}: {exc}") from exc
