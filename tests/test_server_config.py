"""The server's rules that need no cluster: tokens, the address guard, `verbatim serve` options."""

from __future__ import annotations

import argparse

import pytest

from app.cli import serve
from app.core.errors import VerbatimError
from app.server.config import ServerConfig, check_address, is_local, read_tokens, token_owner

TOKENS = ("a" * 20, "b" * 24)


def test_tokens_are_read_one_per_line_with_comments(tmp_path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text("# newsroom\n" + TOKENS[0] + "\n\n  " + TOKENS[1] + "  \n", encoding="utf-8")
    assert read_tokens(path) == TOKENS
    path.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(VerbatimError, match="holds no token"):
        read_tokens(path)
    path.write_text("short\n", encoding="utf-8")
    with pytest.raises(VerbatimError, match="shorter than 16"):
        read_tokens(path)
    with pytest.raises(VerbatimError, match="Cannot read the token file"):
        read_tokens(tmp_path / "missing.txt")


def test_a_token_gives_an_owner_that_is_not_the_token() -> None:
    owner = token_owner(TOKENS[1], TOKENS)
    assert owner is not None and TOKENS[1] not in owner and owner != token_owner(TOKENS[0], TOKENS)
    for wrong in (None, "", TOKENS[1][:-1], TOKENS[1] + "x", "c" * 24):
        assert token_owner(wrong, TOKENS) is None
    assert token_owner(None, ()) == "local"  # no tokens: only localhost may listen (below)


def test_only_localhost_listens_without_a_token() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_local(host)
        check_address(ServerConfig(host=host))
    for host in ("0.0.0.0", "192.168.1.10", "gpu-box"):
        assert not is_local(host)
        with pytest.raises(VerbatimError, match=f"Refusing to listen on {host} without a token"):
            check_address(ServerConfig(host=host))
        check_address(ServerConfig(host=host, tokens=TOKENS))


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    serve.add_arguments(p)
    return p.parse_args(list(argv))


def test_serve_options_become_the_config(tmp_path) -> None:
    tokens = tmp_path / "t.txt"
    tokens.write_text(TOKENS[0] + "\n", encoding="utf-8")
    cfg = serve.config_from_args(_args("--host", "0.0.0.0", "--port", "9000", "--models", "2b, nar,interview",
                                       "--token-file", str(tokens), "--min-replicas", "1", "--max-replicas", "3",
                                       "--max-batch", "16", "--device", "cpu"))
    assert cfg.models == ("2b", "nar", "interview") and cfg.url == "http://0.0.0.0:9000"
    assert cfg.tokens == (TOKENS[0],) and (cfg.min_replicas, cfg.max_replicas) == (1, 3)
    assert cfg.max_batch == 16 and cfg.num_gpus == 0.0
    assert serve.config_from_args(_args("--replicas", "2")).max_replicas == 2
    with pytest.raises(VerbatimError, match="--max-replicas at least --min-replicas"):
        serve.config_from_args(_args("--min-replicas", "3", "--max-replicas", "2"))
    with pytest.raises(VerbatimError, match="names no model"):
        serve.config_from_args(_args("--models", " , "))


def test_serve_refuses_an_open_address_without_a_token_in_one_line(capsys) -> None:
    pytest.importorskip("ray.serve")
    from app.cli import main

    assert main(["serve", "--host", "0.0.0.0", "--models", "nar"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("verbatim: Refusing to listen on 0.0.0.0 without a token") and err.count("\n") == 1
