"""Which Neo4j password the commands use, and how the local one is stored (real files)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from pathrank.services.credentials import ensure_password, read_password
from pathrank.services.errors import ServiceError
from pathrank.settings import Settings
from pathrank.wiring import Wiring


@pytest.fixture(autouse=True)
def _no_password_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHRANK_NEO4J_PASSWORD", raising=False)


def _settings(cache: Path, password: str | None = None) -> Settings:
    if password is None:  # whatever the environment says (cleared above unless a test sets it)
        return Settings(cache_dir=cache)
    return Settings(cache_dir=cache, neo4j_password=SecretStr(password))


def test_first_password_is_random_private_and_kept(tmp_path: Path) -> None:
    file = tmp_path / "neo4j" / "password"
    first = ensure_password(file)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert file.read_text() == first + "\n"
    assert ensure_password(file) == first  # the database keeps it: never regenerated
    other = ensure_password(tmp_path / "elsewhere" / "password")
    assert other != first
    assert first != "pathrank-local"
    assert len(first) == 32
    assert not first.startswith("-")


def test_a_copied_password_file_is_made_private_again(tmp_path: Path) -> None:
    file = tmp_path / "password"
    file.write_text("s3cret-from-a-copy\n")
    file.chmod(0o644)
    assert ensure_password(file) == "s3cret-from-a-copy"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


def test_no_file_means_no_password_yet(tmp_path: Path) -> None:
    assert read_password(tmp_path / "password") is None


def test_an_empty_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("\n")
    with pytest.raises(ServiceError, match="is empty"):
        read_password(tmp_path / "password")


def test_commands_use_the_local_password_by_default(tmp_path: Path) -> None:
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "password").write_text("local-one\n")
    assert Wiring(_settings(tmp_path)).password() == "local-one"


def test_the_setting_overrides_the_local_password(tmp_path: Path) -> None:
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "password").write_text("local-one\n")
    s = _settings(tmp_path, "remote-one")
    assert Wiring(s).password() == "remote-one"
    assert "remote-one" not in repr(s)  # a SecretStr: never printed with the settings


def test_an_empty_setting_means_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "neo4j").mkdir()
    (tmp_path / "neo4j" / "password").write_text("local-one\n")
    monkeypatch.setenv("PATHRANK_NEO4J_PASSWORD", "")
    assert Wiring(_settings(tmp_path)).password() == "local-one"


def test_no_password_anywhere_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"pathrank services up.*PATHRANK_NEO4J_PASSWORD"):
        Wiring(_settings(tmp_path)).password()
