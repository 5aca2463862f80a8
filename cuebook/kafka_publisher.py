"""The outbox relay's publisher for Apache Kafka (kafka-python)."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from engine.relay import PublishFailed

DEFAULTS: dict[str, Any] = {
    "acks": "all",
    "linger_ms": 5,
    "retries": 3,
    # One request in flight per broker: a retried batch cannot overtake the next one.
    "max_in_flight_requests_per_connection": 1,
    # The relay holds its outbox rows while it waits: fail in seconds, not minutes.
    "max_block_ms": 10_000,
    "request_timeout_ms": 10_000,
    "delivery_timeout_ms": 30_000,
}


# How the worker relays to Kafka: events per flush (one outbox transaction waits for the
# broker's acknowledgement of them all), and flushes per pass before timers get a turn again.
RELAY_BATCH = 500
RELAY_BATCHES_PER_PASS = 20


class KafkaPublisher:
    """Sends events with one producer; ``flush`` waits for every send since the last one."""

    def __init__(self, bootstrap: str, **config: Any) -> None:
        self.bootstrap = bootstrap
        settings = {**DEFAULTS, **config}
        self._flush_timeout = settings["delivery_timeout_ms"] / 1000 + 5
        try:
            self._producer = KafkaProducer(bootstrap_servers=bootstrap, **settings)
        except KafkaError as exc:
            raise PublishFailed(f"cannot connect to Kafka at {bootstrap}: {exc}") from exc
        self._pending: list[tuple[str, Any]] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        try:
            future = self._producer.send(topic, key=key.encode(), value=value)
        except (KafkaError, ValueError) as exc:  # ValueError: a name Kafka does not allow
            raise PublishFailed(f"cannot publish to Kafka topic {topic!r}: {exc}") from exc
        self._pending.append((topic, future))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=self._flush_timeout)
        except KafkaError as exc:
            topics = sorted({topic for topic, future in pending if not future.is_done})
            raise PublishFailed(
                f"Kafka at {self.bootstrap} did not confirm events for {', '.join(topics)}: {exc}"
            ) from exc
        for topic, future in pending:
            if future.failed():
                raise PublishFailed(
                    f"Kafka refused an event for topic {topic!r}: {future.exception}"
                ) from future.exception

    def close(self, timeout: float = 5.0) -> None:
        """Send what is buffered (for up to ``timeout`` seconds) and disconnect."""
        self._pending = []
        self._producer.close(timeout=timeout)

    def __enter__(self) -> KafkaPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LazyKafkaPublisher:
    """A ``KafkaPublisher`` connected on the first event, and again after a failed connect.

    The worker starts, and fires timers, while Kafka is down: a relay pass that cannot
    connect fails (its events stay in the outbox) and the next pass tries again.
    """

    def __init__(self, bootstrap: str, **config: Any) -> None:
        self.bootstrap = bootstrap
        self._config = config
        self._inner: KafkaPublisher | None = None

    def _connected(self) -> KafkaPublisher:
        if self._inner is None:
            self._inner = KafkaPublisher(self.bootstrap, **self._config)
        return self._inner

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self._connected().publish(topic, key, value)

    def flush(self) -> None:
        if self._inner is not None:
            self._inner.flush()

    def close(self, timeout: float = 5.0) -> None:
        """Send what is buffered (for up to ``timeout`` seconds) and disconnect, if connected."""
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.close(timeout)
