"""`packager lti keys` and `packager lti serve` through the CLI."""

from __future__ import annotations

import stat

from click.testing import CliRunner

from packager.cli import cli
from tests.conftest import ROOTS


def test_keys_command_creates_and_rotates(tmp_path):
    runner = CliRunner()
    first = runner.invoke(cli, ["lti", "keys", "--dir", str(tmp_path / "k")])
    assert first.exit_code == 0, first.output
    kid = first.output.split()[2].rstrip(";")
    private = tmp_path / "k" / f"{kid}.private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    rotated = runner.invoke(cli, ["lti", "keys", "--dir", str(tmp_path / "k"), "--rotate"])
    assert rotated.exit_code == 0 and kid in rotated.output.split("published:")[1]
    refused = runner.invoke(cli, ["lti", "keys", "--dir", str(tmp_path / "k"),
                                  "--retire", rotated.output.split()[2].rstrip(";")])
    assert refused.exit_code == 2 and "active key" in refused.output


def test_serve_without_keys_or_bundles_is_a_usage_error(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["lti", "serve", "--bundles", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    (tmp_path / "b").mkdir()
    nokeys = runner.invoke(cli, ["lti", "serve", "--bundles", str(tmp_path / "b"),
                                 "--keys", str(tmp_path / "k"),
                                 "--db", f"sqlite:///{tmp_path}/t.sqlite"])
    assert nokeys.exit_code == 2 and "packager lti keys" in nokeys.output
    assert "Traceback" not in nokeys.output


def test_build_lti_and_cc_from_the_cli(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(ROOTS / "basic"), "-t", "lti", "-t", "cc",
                                      "--lti-url", "https://tool.example.org",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "basic-1.0.0-lti.zip").exists()
    assert (tmp_path / "basic-1.0.0-cc.zip").exists()
