"""Streaming mode: the embedded engine on Apache Kafka (``vigil ingest | worker | alerts``).

Topics come from ``deploy/kafka/topics.toml``; see :mod:`pipeline.streaming.worker` for the
processing and recovery design.
"""
