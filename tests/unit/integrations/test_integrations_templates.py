"""Rendering requests: URL encoding, native values, the sandbox, masking, result paths."""

from __future__ import annotations

from typing import Any

import pytest

from integrations import parse_function
from integrations.paths import MISSING, PathInvalid, compile_path, extract
from integrations.rendering import MASK, masked_context
from integrations.secret_store import Masker, SecretStore
from integrations.templates import TemplateRenderError


def render(
    request: dict[str, Any], args: dict[str, Any], secrets: dict[str, str] | None = None
) -> Any:
    spec = parse_function(
        {
            "name": "t",
            "parameters": [{"name": k, "type": "string", "required": False} for k in args],
            "secrets": sorted(secrets or {}),
            "request": request,
        }
    )
    assert spec.compiled is not None
    return spec.compiled.render({**args, "secrets": secrets or {}})


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("Иван", "%D0%98%D0%B2%D0%B0%D0%BD"),
        ("a b", "a%20b"),
        ("a&b=c", "a%26b%3Dc"),
        ("x/y", "x%2Fy"),
        ("#frag?q", "%23frag%3Fq"),
        ("safe-._~", "safe-._~"),
    ],
)
def test_values_in_the_url_are_encoded(value: str, encoded: str) -> None:
    rendered = render({"url": "https://h/customers/{{ c }}/x"}, {"c": value})
    assert rendered.url == f"https://h/customers/{encoded}/x"


def test_raw_filter_keeps_a_url_part_as_is() -> None:
    rendered = render(
        {"url": "{{ secrets.BASE | raw }}/v1/{{ c }}"}, {"c": "a/b"}, {"BASE": "https://h:8443/api"}
    )
    assert rendered.url == "https://h:8443/api/v1/a%2Fb"


def test_single_expressions_keep_their_type_and_none_drops_query_values() -> None:
    rendered = render(
        {
            "url": "https://h/",
            "method": "POST",
            "query": {"q": "{{ q }}", "gone": "{{ missing }}", "many": "{{ [1, 2] }}"},
            "headers": {"X-Flag": "{{ true }}", "X-Gone": "{{ missing }}"},
            "body": {"n": "{{ 40 + 2 }}", "text": "n={{ 40 + 2 }}", "flag": "{{ false }}", "k": 7},
        },
        {"q": "x", "missing": None},
    )
    assert rendered.params == {"q": "x", "many": ["1", "2"]}
    assert rendered.headers == {"X-Flag": "true"}
    assert rendered.body == {"n": 42, "text": "n=42", "flag": False, "k": 7}


def test_the_sandbox_refuses_unsafe_access() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render({"url": "https://h/{{ c.__class__.__mro__ }}"}, {"c": "x"})
    assert caught.value.path == "request.url"


def test_undefined_attributes_fail_with_the_path() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render({"url": "https://h/", "headers": {"X-A": "{{ c.nothing }}"}}, {"c": "x"})
    assert caught.value.path == "request.headers.X-A"


def test_header_values_cannot_break_lines() -> None:
    with pytest.raises(TemplateRenderError, match="line break"):
        render({"url": "https://h/", "headers": {"X-A": "{{ c }}"}}, {"c": "a\r\nX-Evil: 1"})


def test_masked_rendering_replaces_secrets() -> None:
    spec = parse_function(
        {
            "name": "m",
            "secrets": ["TOKEN"],
            "request": {
                "url": "https://h/{{ secrets.TOKEN }}/x",
                "headers": {"Authorization": "Bearer {{ secrets.TOKEN | upper }}"},
                "query": {"t": "{{ secrets.TOKEN }}"},
            },
        }
    )
    assert spec.compiled is not None
    real = spec.compiled.render({"secrets": {"TOKEN": "abc/def"}})
    assert real.url == "https://h/abc%2Fdef/x"
    assert real.headers["Authorization"] == "Bearer ABC/DEF"
    shown = spec.compiled.render(masked_context({}, spec.secrets)).masked(Masker(["abc/def"]))
    assert shown.url == "https://h/***/x"
    assert shown.headers["Authorization"] == MASK
    assert shown.params == {"t": MASK}
    assert real.cache_key() != spec.compiled.render({"secrets": {"TOKEN": "other"}}).cache_key()


def test_masker_catches_encoded_forms() -> None:
    mask = Masker(["p@ss word/1", ""])
    assert mask("u=p@ss word/1") == "u=***"
    assert mask("u=p%40ss%20word%2F1") == "u=***"
    assert mask("u=p%40ss+word%2F1") == "u=***"
    assert mask("nothing here") == "nothing here"
    assert not Masker([""])


def test_secret_store_reads_prefixed_environment() -> None:
    store = SecretStore({"CUEBOOK_SECRET_TOKEN": "v", "TOKEN": "wrong"})
    assert store.get("TOKEN") == "v"
    assert store.has("TOKEN") and not store.has("OTHER")
    with pytest.raises(Exception, match="CUEBOOK_SECRET_OTHER"):
        store.get("OTHER")
    assert "v" not in repr(store)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$", {"data": {"items": [{"status": "up"}, {"status": "down"}]}, "a.b": 1}),
        ("data.items[0].status", "up"),
        ("$.data.items[-1].status", "down"),
        ('["a.b"]', 1),
        ("data.items[2].status", MISSING),
        ("data.nothing", MISSING),
        ("data.items.status", MISSING),
    ],
)
def test_result_paths(expression: str, expected: Any) -> None:
    document = {"data": {"items": [{"status": "up"}, {"status": "down"}]}, "a.b": 1}
    assert extract(document, compile_path(expression)) == expected


@pytest.mark.parametrize("expression", ["a..b", "a.", ".a", "a[x]", "a[0]b", "$a", ""])
def test_bad_result_paths(expression: str) -> None:
    with pytest.raises(PathInvalid):
        compile_path(expression)
