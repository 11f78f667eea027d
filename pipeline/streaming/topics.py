"""Topic names, the declarative topic definition, and Kafka client settings.

Every Kafka client in Vigil gets its connection settings from :func:`client_config`, so TLS and
SASL settings (``VIGIL_KAFKA_SECURITY_PROTOCOL`` ...) reach all of them unchanged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BROKER = "127.0.0.1:9092"
DEFINITION = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "topics.toml"

# VIGIL_KAFKA_<NAME> -> the kafka-python / aiokafka keyword of the same meaning.
_PASSTHROUGH = {
    "SECURITY_PROTOCOL": "security_protocol",
    "SASL_MECHANISM": "sasl_mechanism",
    "SASL_USERNAME": "sasl_plain_username",
    "SASL_PASSWORD": "sasl_plain_password",
}
_SSL_FILES = {"SSL_CAFILE": "cafile", "SSL_CERTFILE": "certfile", "SSL_KEYFILE": "keyfile"}


def default_broker() -> str:
    raw = os.environ.get("VIGIL_KAFKA", DEFAULT_BROKER)
    return raw.split("://", 1)[-1]


def default_prefix() -> str:
    return os.environ.get("VIGIL_TOPIC_PREFIX", "")


@dataclass(frozen=True)
class Topics:
    """Topic and consumer-group names under one prefix (tests use a unique prefix each)."""

    prefix: str = ""

    def _name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def raw(self) -> str:
        return self._name("vigil.raw")

    @property
    def events(self) -> str:
        return self._name("vigil.events")

    @property
    def alerts(self) -> str:
        return self._name("vigil.alerts")

    @property
    def dlq(self) -> str:
        return self._name("vigil.dlq")

    @property
    def feedback(self) -> str:
        return self._name("vigil.feedback")

    @property
    def indicators(self) -> str:
        return self._name("vigil.indicators")

    @property
    def state(self) -> str:
        return self._name("vigil.state")

    @property
    def group(self) -> str:
        """The consumer group of the Faust app: every ``vigil worker`` is one member, and all
        its agents (parse, detect, notify) consume in it."""
        return self._name("vigil-worker")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def load_definition(path: Path | None = None, prefix: str = "") -> list[TopicSpec]:
    """Topic specs from ``deploy/kafka/topics.toml`` (or ``VIGIL_TOPICS_FILE``)."""
    source = path or Path(os.environ.get("VIGIL_TOPICS_FILE", DEFINITION))
    document = tomllib.loads(source.read_text())
    defaults = document.get("defaults", {})
    specs = []
    for name, table in document["topics"].items():
        specs.append(
            TopicSpec(
                name=f"{prefix}{name}",
                partitions=int(table.get("partitions", defaults.get("partitions", 4))),
                replication_factor=int(
                    table.get("replication_factor", defaults.get("replication_factor", 1))
                ),
                config={k: str(v) for k, v in table.get("config", {}).items()},
            )
        )
    return specs


def client_config() -> dict[str, Any]:
    """Security settings for aiokafka / kafka-python from ``VIGIL_KAFKA_*`` variables."""
    config: dict[str, Any] = {}
    for env, key in _PASSTHROUGH.items():
        value = os.environ.get(f"VIGIL_KAFKA_{env}")
        if value:
            config[key] = value
    ssl_files = {
        key: os.environ[f"VIGIL_KAFKA_{env}"]
        for env, key in _SSL_FILES.items()
        if os.environ.get(f"VIGIL_KAFKA_{env}")
    }
    if ssl_files:
        import ssl

        context = ssl.create_default_context(cafile=ssl_files.get("cafile"))
        if "certfile" in ssl_files:
            context.load_cert_chain(ssl_files["certfile"], ssl_files.get("keyfile"))
        config["ssl_context"] = context
    return config


def faust_credentials() -> Any:
    """The same ``VIGIL_KAFKA_*`` security settings as :func:`client_config`, in Faust's form
    (``broker_credentials``); None for plaintext."""
    config = client_config()
    protocol = str(config.get("security_protocol", "PLAINTEXT")).upper()
    context = config.get("ssl_context")
    if protocol.startswith("SASL"):
        import faust

        if context is None and protocol == "SASL_SSL":
            import ssl

            context = ssl.create_default_context()
        return faust.SASLCredentials(
            username=config.get("sasl_plain_username"),
            password=config.get("sasl_plain_password"),
            mechanism=config.get("sasl_mechanism", "PLAIN"),
            ssl_context=context,
        )
    if context is not None or protocol == "SSL":
        import ssl

        import faust

        return faust.SSLCredentials(context or ssl.create_default_context())
    return None


def ensure_topics(broker: str, prefix: str = "", timeout_s: float = 30.0) -> list[str]:
    """Create missing topics from the definition; returns the names created (idempotent)."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    specs = load_definition(prefix=prefix)
    admin = KafkaAdminClient(
        bootstrap_servers=broker,
        client_id="vigil-admin",
        request_timeout_ms=int(timeout_s * 1000),
        **client_config(),
    )
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        for spec in missing:
            # One request per topic so a topic created concurrently by another worker
            # (TopicAlreadyExists) does not hide the result for the others.
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=spec.replication_factor,
                            topic_configs=spec.config,
                        )
                    ]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


async def partitions_of(consumer: Any, topic: str) -> list[int]:
    """Partition numbers of ``topic`` (fresh metadata; a group-less consumer has none cached)."""
    cluster = await consumer._client.fetch_all_metadata()
    return sorted(cluster.partitions_for_topic(topic) or ())
