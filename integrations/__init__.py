"""No-code integration functions: declarative HTTP calls with caching, timeouts, retries,
a circuit breaker, secrets by name and a host allow-list. Knows nothing of the engine."""

from integrations import errors
from integrations.allowlist import AllowList
from integrations.binding import bind_arguments
from integrations.config import InvokerConfig
from integrations.errors import ArgumentsInvalid, CallFailed, SecretMissing, SpecInvalid
from integrations.files import dump_functions, load_functions_file
from integrations.invoker import CallResult, Invoker
from integrations.schema import FUNCTION_SCHEMA
from integrations.secret_store import SecretStore
from integrations.spec import FunctionSpec, parse_function

__all__ = [
    "FUNCTION_SCHEMA",
    "AllowList",
    "ArgumentsInvalid",
    "CallFailed",
    "CallResult",
    "FunctionSpec",
    "Invoker",
    "InvokerConfig",
    "SecretMissing",
    "SecretStore",
    "SpecInvalid",
    "bind_arguments",
    "dump_functions",
    "errors",
    "load_functions_file",
    "parse_function",
]
