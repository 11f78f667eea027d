"""Transports and orchestration: CLI, embedded runner, configuration (and, later, Kafka)."""
