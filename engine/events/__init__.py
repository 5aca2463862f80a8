"""Events in and out: the contracts (JSON Schemas) of the events Cuebook emits, inbound
messages from Kafka, early messages kept for sessions not yet waiting, and dead letters."""
