"""The inbound topic's consumer for Apache Kafka (kafka-python): one group member."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata, TopicPartition

from engine.events.consumer import Record

DEFAULTS: dict[str, Any] = {
    "enable_auto_commit": False,  # offsets go only after the database commit
    "auto_offset_reset": "earliest",
    "max_poll_records": 500,
    "session_timeout_ms": 10_000,
    "heartbeat_interval_ms": 1_000,
    "request_timeout_ms": 30_000,
}


class KafkaInbound:
    """Consumes one topic in one group; connects lazily (on the first poll) and again after
    a failed connect, so a worker starts while Kafka is down."""

    def __init__(self, bootstrap: str, topic: str, group: str, **config: Any) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.group = group
        self._config = {**DEFAULTS, **config}
        self._consumer: KafkaConsumer | None = None

    def _connected(self) -> KafkaConsumer:
        if self._consumer is None:
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap, group_id=self.group, **self._config
            )
            consumer.subscribe([self.topic])
            self._consumer = consumer
        return self._consumer

    def poll(self, timeout: float) -> list[Record]:
        batches = self._connected().poll(timeout_ms=int(timeout * 1000))
        records = [
            Record(r.topic, r.partition, r.offset, r.value)
            for batch in batches.values()
            for r in batch
        ]
        records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return records

    def commit(self, records: list[Record]) -> None:
        if not records or self._consumer is None:
            return
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for r in records:
            offsets[TopicPartition(r.topic, r.partition)] = OffsetAndMetadata(r.offset + 1, "", -1)
        self._consumer.commit(offsets)

    def rewind(self, records: list[Record]) -> None:
        if self._consumer is None:
            return
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault(TopicPartition(r.topic, r.partition), r.offset)
        for partition, offset in first.items():
            self._consumer.seek(partition, offset)

    def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close()
