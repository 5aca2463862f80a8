"""The schema, as SQLAlchemy Core tables (the step path uses Core, not the ORM)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

scripts = sa.Table(
    "scripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("published_version", sa.Integer, nullable=True),
    # A canary split of new sessions (JSON: number, weight, version_id per version); NULL
    # when the published version takes them all.
    sa.Column("release_split", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

script_versions = sa.Table(
    "script_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("bundle", sa.LargeBinary, nullable=False),
    sa.Column("process_id", sa.String(200), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.UniqueConstraint("script_id", "number"),
    sa.UniqueConstraint("script_id", "content_hash"),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("released_at", TS, nullable=False),
    sa.Column("split", sa.Text, nullable=True),  # the split released; NULL: 100% the version
    sa.Index("ix_releases_script_id_id", "script_id", "id"),
)

_OPEN_WITH_KEY = "session_key IS NOT NULL AND status NOT IN ('completed', 'failed')"

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("script_key", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("script_versions.id"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("session_key", sa.String(200), nullable=True),
    sa.Column("customer_key", sa.String(200), nullable=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("step_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("step_token", sa.String(64), nullable=True),
    sa.Column("current_element", sa.String(200), nullable=True),
    sa.Column("misses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("handoff_queue", sa.String(100), nullable=True),
    sa.Column("handoff_reason", sa.String(300), nullable=True),
    sa.Column("handoff_code", sa.String(40), nullable=True),
    sa.Column("handed_off_at", TS, nullable=True),
    sa.Column("assignee", sa.String(200), nullable=True),
    sa.Column("next_timer_at", TS, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=True),
    sa.Index("ix_instances_session_key", "session_key"),
    sa.Index("ix_instances_customer_key", "customer_key"),
    # One open session per external key and script: concurrent starts cannot duplicate it.
    sa.Index(
        "uq_instances_open_session",
        "script_key",
        "session_key",
        unique=True,
        postgresql_where=sa.text(_OPEN_WITH_KEY),
        sqlite_where=sa.text(_OPEN_WITH_KEY),
    ),
    sa.Index("ix_instances_next_timer_at", "next_timer_at"),
    sa.Index("ix_instances_queue", "handoff_queue", "status", "handed_off_at"),
    sa.Index("ix_instances_status_created", "status", "created_at"),
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("instance_id", sa.String(36), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("element", sa.String(200), nullable=False, server_default=""),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("kind", sa.String(60), nullable=False, server_default=""),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("channel", sa.String(10), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("answer", sa.Text, nullable=True),
    sa.Index("ix_history_instance_id_id", "instance_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("published_at", TS, nullable=True),
    # PostgreSQL fills it with txid_current() (see the migration); SQLite leaves it NULL.
    sa.Column("tx", sa.BigInteger, nullable=True),
    sa.Index("ix_outbox_tx_id", "tx", "id"),
    sa.Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
)

integration_functions = sa.Table(
    "integration_functions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.UniqueConstraint("name", "version"),
)

# -- tickets --------------------------------------------------------------------------------

# Ticket numbers come from this sequence on PostgreSQL (no lock between concurrent creates);
# SQLite, whose writers take turns, counts on from the highest number given.
ticket_seq = sa.Sequence("ticket_seq", metadata=metadata)

_TICKET_OPEN = "status NOT IN ('resolved', 'closed')"

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("number", sa.String(40), nullable=False, unique=True),
    sa.Column(
        "instance_id", sa.String(36), sa.ForeignKey("instances.id"), nullable=False, unique=True
    ),
    sa.Column("script_key", sa.String(100), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("customer_key", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("category", sa.String(100), nullable=False, server_default=""),
    sa.Column("subject", sa.String(300), nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("attributes", sa.Text, nullable=False, server_default="{}"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("group", sa.String(100), nullable=True),
    sa.Column("rule", sa.String(200), nullable=True),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
    sa.Index("ix_tickets_customer_key_created_at", "customer_key", "created_at", "id"),
    sa.Index("ix_tickets_group_status_created_at", "group", "status", "created_at", "id"),
    sa.Index("ix_tickets_status_created_at", "status", "created_at", "id"),
    # The dedup look-up: an open ticket of this customer, type and category, newest first.
    sa.Index(
        "ix_tickets_open_problem",
        "customer_key",
        "type",
        "category",
        "created_at",
        postgresql_where=sa.text(_TICKET_OPEN),
        sqlite_where=sa.text(_TICKET_OPEN),
    ),
)

ticket_messages = sa.Table(
    "ticket_messages",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("author", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False, server_default=""),
    sa.Column("channel", sa.String(20), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_ticket_messages_ticket_id_id", "ticket_id", "id"),
)

ticket_route = sa.Table(
    "ticket_route",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("from_group", sa.String(100), nullable=True),
    sa.Column("to_group", sa.String(100), nullable=True),
    sa.Column("element", sa.String(200), nullable=True),
    sa.Column("rule", sa.String(200), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("status", sa.String(20), nullable=True),
    sa.Index("ix_ticket_route_ticket_id_id", "ticket_id", "id"),
)

_WAITING_FOR_PERSON = "status = 'open' AND assignee IS NULL"
_WAITING_UNDUE = _WAITING_FOR_PERSON + " AND due_at IS NULL"

work_items = sa.Table(
    "work_items",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # the user task's id in the workflow
    sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("instance_id", sa.String(36), nullable=False),
    sa.Column("element", sa.String(200), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("group", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("assignee", sa.String(200), nullable=True),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("claimed_at", TS, nullable=True),
    sa.Column("closed_at", TS, nullable=True),
    sa.Column("closed_by", sa.String(200), nullable=True),
    sa.Index("ix_work_items_ticket_id_status", "ticket_id", "status"),
    sa.Index("ix_work_items_assignee_status", "assignee", "status"),
    # A group's queue page: unclaimed open items, most urgent first (due time, then age)...
    sa.Index(
        "ix_work_items_queue",
        "group",
        "due_at",
        "created_at",
        "id",
        postgresql_where=sa.text(_WAITING_FOR_PERSON),
        sqlite_where=sa.text(_WAITING_FOR_PERSON),
    ),
    # ...and those without a due time, oldest first, read in that order.
    sa.Index(
        "ix_work_items_queue_undue",
        "group",
        "created_at",
        "id",
        postgresql_where=sa.text(_WAITING_UNDUE),
        sqlite_where=sa.text(_WAITING_UNDUE),
    ),
)

customer_identities = sa.Table(
    "customer_identities",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("customer_key", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_customer_identities_customer_key", "customer_key"),
)

# -- inbound messages -----------------------------------------------------------------------

# Message ids already handled (delivered, kept for later, or dead-lettered): a message seen
# again is dropped. Rows older than the retention are pruned by the worker.
inbound_seen = sa.Table(
    "inbound_seen",
    metadata,
    sa.Column("message_id", sa.String(200), primary_key=True),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("seen_at", TS, nullable=False),
    sa.Index("ix_inbound_seen_seen_at", "seen_at"),
)

# Early messages: they matched no waiting session yet and are kept until one waits for them
# (delivered then) or until they expire.
pending_messages = sa.Table(
    "pending_messages",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(200), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("correlation_key", sa.String(200), nullable=True),
    sa.Column("session_id", sa.String(36), nullable=True),
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("sender", sa.String(200), nullable=False, server_default=""),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Index("ix_pending_messages_correlation_key_name", "correlation_key", "name"),
    sa.Index("ix_pending_messages_session_id_name", "session_id", "name"),
    sa.Index("ix_pending_messages_expires_at", "expires_at"),
)

# Messages that could not be delivered: broken, naming no known message, or failing
# delivery again and again. Listed and retried by admins over the API.
dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.String(300), nullable=False, server_default=""),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("retried_at", TS, nullable=True),
    sa.Column("retried_by", sa.String(200), nullable=True),
    sa.Index("ix_dead_letters_status_id", "status", "id"),
)

# Signals each open session waits for (catch events, boundary events, event-based gateways):
# a thrown or sent signal finds its sessions here without reading any saved state. Kept by
# every state write of a script that catches signals; a session that ends has none.
signal_waits = sa.Table(
    "signal_waits",
    metadata,
    sa.Column("instance_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("script_key", sa.String(100), nullable=False),
    sa.Index("ix_signal_waits_name_script_key", "name", "script_key"),
)

# ---- the operator workspace: who serves which group, whether they are free, what they
# were offered, and the call-backs they promised.

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The operator's API token (role operator): the actor the rest of the system knows.
    sa.Column("token_id", sa.Integer, sa.ForeignKey("api_tokens.id"), nullable=False, unique=True),
    sa.Column("login", sa.String(200), nullable=False, unique=True),  # = the token's name
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("languages", sa.Text, nullable=False, server_default="[]"),  # JSON list
    sa.Column("channels", sa.Text, nullable=False, server_default="[]"),  # JSON list; [] = any
    sa.Column("capacity_conversations", sa.Integer, nullable=False, server_default="1"),
    sa.Column("capacity_tickets", sa.Integer, nullable=False, server_default="5"),
    sa.Column("presence", sa.String(20), nullable=False, server_default="offline"),
    sa.Column("presence_since", TS, nullable=True),
    sa.Column("last_seen_at", TS, nullable=True),  # the last heartbeat
    sa.Column("idle_since", TS, nullable=True),  # when their last item ended (longest idle)
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_operators_presence_idle_since", "presence", "idle_since"),
)

operator_skills = sa.Table(
    "operator_skills",
    metadata,
    sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), primary_key=True),
    sa.Column("group", sa.String(100), primary_key=True),
    sa.Column("level", sa.Integer, nullable=False, server_default="1"),
    sa.Index("ix_operator_skills_group", "group"),
)

presence_spans = sa.Table(
    "presence_spans",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=True),  # NULL: the state they are in now
    sa.Index("ix_presence_spans_operator_id_started_at", "operator_id", "started_at"),
)

_PENDING = "status = 'pending'"

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("item_kind", sa.String(20), nullable=False),  # conversation | ticket
    sa.Column("item_id", sa.String(36), nullable=False),  # instance id or work item id
    sa.Column("group", sa.String(100), nullable=False),
    sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending accepted declined expired
    sa.Column("offered_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("decided_at", TS, nullable=True),
    # At most one pending offer per item: two servers cannot offer it twice at once.
    sa.Index(
        "uq_offers_pending_item",
        "item_kind",
        "item_id",
        unique=True,
        postgresql_where=sa.text(_PENDING),
        sqlite_where=sa.text(_PENDING),
    ),
    sa.Index("ix_offers_operator_id_status", "operator_id", "status"),
    sa.Index("ix_offers_status_expires_at", "status", "expires_at"),
)

callbacks = sa.Table(
    "callbacks",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("customer_key", sa.String(200), nullable=True),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("due_at", TS, nullable=False),
    sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=True),
    sa.Column("group", sa.String(100), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("instance_id", sa.String(36), nullable=True),  # the session that asked for it
    sa.Column("ticket_id", sa.String(36), nullable=True),  # the work item it became
    sa.Column("status", sa.String(20), nullable=False),  # scheduled fired done cancelled
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("fired_at", TS, nullable=True),
    sa.Index("ix_callbacks_status_due_at", "status", "due_at"),
    sa.Index("ix_callbacks_operator_id_status", "operator_id", "status"),
)

# Assignment's reads (migration 0009): the conversations an operator holds, and who was
# already offered an item.
sa.Index("ix_instances_assignee_status", instances.c.assignee, instances.c.status)
sa.Index("ix_offers_item", offers.c.item_kind, offers.c.item_id, offers.c.operator_id)

# ---- the editor: a draft is a script's mutable working copy (its files as JSON, a revision
# bumped on each save); each saved revision is kept, so a conflicting save can be told what
# changed since the revision it started from.

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("script_key", sa.String(100), nullable=False, index=True),
    sa.Column("files", sa.Text, nullable=False),  # JSON {file name: text}, the .bpmn included
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("based_on_version", sa.Integer, nullable=True),  # NULL: a new script
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("updated_at", TS, nullable=False),
)

draft_revisions = sa.Table(
    "draft_revisions",
    metadata,
    sa.Column(
        "draft_id", sa.Integer, sa.ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("files", sa.Text, nullable=False),
    sa.Column("saved_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("saved_at", TS, nullable=False),
)

# ---- analytics: history folded once by `cuebook worker` (engine/analytics/rollup.py) into
# counts per script, version and hour, so a script's figures read a few thousand rows
# instead of every history row; the rows past the cursor are folded at request time.

analytics_cursor = sa.Table(
    "analytics_cursor",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("last_id", sa.BigInteger, nullable=False, server_default="0"),
    # The next horizon: history ids up to pending_id are final once no transaction that
    # began by pending_at still holds a write lock on history (engine/analytics/rollup.py).
    sa.Column("pending_id", sa.BigInteger, nullable=True),
    sa.Column("pending_at", TS, nullable=True),
    sa.Column("folded_at", TS, nullable=True),
)

analytics_steps = sa.Table(
    "analytics_steps",
    metadata,
    sa.Column("script_key", sa.String(100), primary_key=True),
    sa.Column("version_number", sa.Integer, primary_key=True),
    sa.Column("bucket", TS, primary_key=True),
    sa.Column("element", sa.String(200), primary_key=True),
    sa.Column("sessions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("entered", sa.Integer, nullable=False, server_default="0"),
    sa.Column("exited", sa.Integer, nullable=False, server_default="0"),
    sa.Column("ended", sa.Integer, nullable=False, server_default="0"),
    sa.Column("handed_off", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
)

analytics_times = sa.Table(
    "analytics_times",
    metadata,
    sa.Column("script_key", sa.String(100), primary_key=True),
    sa.Column("version_number", sa.Integer, primary_key=True),
    sa.Column("bucket", TS, primary_key=True),
    sa.Column("element", sa.String(200), primary_key=True),
    sa.Column("slot", sa.SmallInteger, primary_key=True),  # engine/analytics/histogram.py
    sa.Column("samples", sa.Integer, nullable=False, server_default="0"),
)

analytics_sessions = sa.Table(
    "analytics_sessions",
    metadata,
    sa.Column("script_key", sa.String(100), primary_key=True),
    sa.Column("version_number", sa.Integer, primary_key=True),
    sa.Column("bucket", TS, primary_key=True),
    sa.Column("channel", sa.String(10), primary_key=True),
    sa.Column("started", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("handed_off", sa.Integer, nullable=False, server_default="0"),
    sa.Column("automated", sa.Integer, nullable=False, server_default="0"),
)

analytics_paths = sa.Table(
    "analytics_paths",
    metadata,
    sa.Column("script_key", sa.String(100), primary_key=True),
    sa.Column("version_number", sa.Integer, primary_key=True),
    sa.Column("bucket", TS, primary_key=True),
    sa.Column("path_hash", sa.String(16), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sessions", sa.Integer, nullable=False, server_default="0"),
)
