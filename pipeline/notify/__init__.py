"""Alert delivery to on-call: webhook, PagerDuty and Slack sinks with a durable outbox.

>>> from pipeline.notify import SINKS
>>> sorted(SINKS)
['pagerduty', 'slack', 'webhook']
"""

from __future__ import annotations

from pipeline.notify.notifier import (
    DeliveryReport,
    Notifier,
    SinkReport,
    SinkWorker,
    Undelivered,
)
from pipeline.notify.outbox import Outbox
from pipeline.notify.sinks import (
    PAGERDUTY_KEY_ENV,
    SIGNATURE_HEADER,
    SINKS,
    WEBHOOK_SECRET_ENV,
    PagerDutySink,
    Sink,
    SinkConfigError,
    SinkSettings,
    SinkSpec,
    SlackSink,
    WebhookSink,
    build_sink,
    sign,
)

__all__ = [
    "PAGERDUTY_KEY_ENV",
    "SIGNATURE_HEADER",
    "SINKS",
    "WEBHOOK_SECRET_ENV",
    "DeliveryReport",
    "Notifier",
    "Outbox",
    "PagerDutySink",
    "Sink",
    "SinkConfigError",
    "SinkReport",
    "SinkSettings",
    "SinkSpec",
    "SinkWorker",
    "SlackSink",
    "Undelivered",
    "WebhookSink",
    "build_sink",
    "sign",
]
