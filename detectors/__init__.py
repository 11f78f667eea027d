"""The vectorised scoring core: batches, detectors, risk aggregation, state. No Kafka, no Faust."""
