"""`pathrank serve` beyond loopback: the API settings and the warnings it prints."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pathrank.cli.serve import exposure_warnings, is_loopback
from pathrank.settings import Settings


def test_api_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEY_FOR_READS", "ALLOWED_HOSTS", "TIME_BUDGET_S"):
        monkeypatch.delenv(f"PATHRANK_API_{name}", raising=False)
    s = Settings()
    assert (s.api_key_for_reads, s.api_allowed_hosts, s.api_time_budget_s) == (False, (), 10.0)
    monkeypatch.setenv("PATHRANK_API_KEY_FOR_READS", "true")
    monkeypatch.setenv("PATHRANK_API_ALLOWED_HOSTS", " api.example.com, *.corp.example ,,")
    monkeypatch.setenv("PATHRANK_API_TIME_BUDGET_S", "2.5")
    s = Settings()
    assert s.api_key_for_reads is True
    assert s.api_allowed_hosts == ("api.example.com", "*.corp.example")
    assert s.api_time_budget_s == 2.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PATHRANK_API_ALLOWED_HOSTS", "api.*.example"),
        ("PATHRANK_API_ALLOWED_HOSTS", "*example.com"),
        ("PATHRANK_API_TIME_BUDGET_S", "0"),
        ("PATHRANK_API_TIME_BUDGET_S", "soon"),
        ("PATHRANK_API_KEY_FOR_READS", "maybe"),
    ],
)
def test_bad_api_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_loopback_hosts() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host)
    for host in ("0.0.0.0", "::", "192.168.1.5", "myhost.example"):
        assert not is_loopback(host)


def test_warnings_say_what_is_open() -> None:
    hosts = ("0.0.0.0", "127.0.0.1", "localhost", "[::1]")
    lines = exposure_warnings(Settings(), hosts)
    assert len(lines) == 3
    assert "runAnalysis" in lines[0]
    assert "reads need no key" in lines[1]
    assert "0.0.0.0, 127.0.0.1, localhost, [::1]" in lines[2]
    keyed = Settings(api_key="k", api_key_for_reads=True)
    lines = exposure_warnings(keyed, ("*",))
    assert lines == ["PATHRANK_API_ALLOWED_HOSTS has `*`: any Host is answered (DNS rebinding)"]
