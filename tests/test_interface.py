"""The interface an office PC sees: --version, Chinese help by locale, convert, no POSIX-only code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import randsup
from randsup.cli import app
from randsup.i18n import HELP_ZH, language
from randsup.inputs.save import directory_csv_files

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RANDSUP_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    if lang is not None:
        env["RANDSUP_LANG"] = lang
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "randsup", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)


def test_version_prints_the_version() -> None:
    done = _cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"randsup {randsup.__version__}"


def test_plan_help_is_chinese_with_randsup_lang_zh_and_english_without() -> None:
    zh = _cli("plan", "--help", lang="zh")
    assert zh.returncode == 0, zh.stderr
    assert "随机抽取检查对象（第一随机）" in zh.stdout and "选项" in zh.stdout and "显示本帮助后退出" in zh.stdout
    assert "存放计划文件夹的新文件夹" in zh.stdout and "A new folder for the plan directory" not in zh.stdout
    en = _cli("plan", "--help", lang="en")
    assert "A new folder for the plan directory" in en.stdout and "存放计划文件夹的新文件夹" not in en.stdout


def test_errors_are_prefixed_in_the_users_language(tmp_path: Path) -> None:
    done = _cli("validate", str(tmp_path / "missing"), lang="zh")
    assert done.returncode == 2 and done.stderr.startswith("错误:")


@pytest.mark.parametrize(("env", "expected"), [
    ({"RANDSUP_LANG": "zh"}, "zh"), ({"RANDSUP_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"), ({"LC_MESSAGES": "zh_TW"}, "zh"),
])
def test_language_follows_randsup_lang_then_the_locale(env: dict[str, str], expected: str) -> None:
    assert language(env) == expected


def test_every_translated_key_names_a_real_command_or_parameter() -> None:
    import typer.main

    known: set[str] = {""}

    def walk(cmd: object, path: str) -> None:
        known.add(path)
        for p in getattr(cmd, "params", []):
            known.add(f"{path}:{p.name}")
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    assert set(HELP_ZH) <= known, sorted(set(HELP_ZH) - known)


def test_convert_round_trips_the_demo_folder(tmp_path: Path) -> None:
    run = CliRunner().invoke
    assert run(app, ["demo-data", str(tmp_path / "D"), "--entities", "3000", "--inspectors", "200"]).exit_code == 0
    r = run(app, ["convert", str(tmp_path / "D"), "--to", "xlsx", str(tmp_path / "d.xlsx")])
    assert r.exit_code == 0, r.output
    r = run(app, ["convert", str(tmp_path / "d.xlsx"), "--to", "csv", str(tmp_path / "D2")])
    assert r.exit_code == 0, r.output
    original = directory_csv_files(randsup.load_directory(tmp_path / "D"))
    for name, data in original.items():
        assert (tmp_path / "D2" / name).read_bytes() == data, name
    assert "address" in original["entities.csv"].decode().splitlines()[0]
    bad = run(app, ["convert", str(tmp_path / "D"), "--to", "pdf", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "must be one of xlsx, csv" in bad.output
    again = run(app, ["convert", str(tmp_path / "D"), "--to", "csv", str(tmp_path / "D2")])
    assert again.exit_code == 2 and "exists already" in again.output


def test_no_posix_only_calls_in_the_package() -> None:
    """An office PC runs Windows: nothing in randsup may need fork, fcntl, pwd, grp or a shell."""
    posix_only = re.compile(r"\b(import (fcntl|pwd|grp|termios|resource)\b|os\.(fork|fchmod|getuid|geteuid|setsid|killpg)\b"
                            r"|shell=True|/bin/sh|/dev/null)")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "randsup").rglob("*.py"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if posix_only.search(line.split("#")[0])]
    assert found == []


def test_loading_and_writing_report_row_counts_and_the_cli_stays_quiet_off_a_terminal(tmp_path: Path) -> None:
    from randsup.demo.synth import write_demo_data
    from randsup.inputs.save import save_directory_xlsx

    write_demo_data(tmp_path / "D", entities=60_000, inspectors=400)
    calls: list[tuple[str, int, int | None]] = []
    d = randsup.load_directory(tmp_path / "D", progress=lambda step, done, total: calls.append((step, done, total)))
    counts = [done for step, done, _ in calls if step == "read entities.csv"]
    assert len(counts) >= 2 and counts == sorted(counts) and counts[-1] == len(d.entities)
    written: list[tuple[str, int, int | None]] = []
    save_directory_xlsx(d, tmp_path / "d.xlsx", progress=lambda *a: written.append(a))
    assert ("write sheet entities", 19_999, len(d.entities)) in written and written[-1][0] == "save workbook"
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "D")])
    assert r.exit_code == 0 and "read entities" not in r.output


def test_help_paragraphs_are_reflowed_to_the_terminal() -> None:
    """Docstrings wrap at 100 columns in the source; the help wraps at the terminal's width only."""
    en = _cli("plan", "--help", lang="en")
    assert en.returncode == 0, en.stderr
    assert "supplies this year's earlier plans for the annual cap" in en.stdout


def test_no_help_text_looks_like_rich_markup() -> None:
    """Rich takes "[default: …]" in a help text for a style tag and silently drops it."""
    import typer.main

    tag = re.compile(r"\[[a-z#/@][^\[\]]*\]")
    found = []

    def walk(cmd: object, path: str) -> None:
        for text in (getattr(cmd, "help", None), *(getattr(p, "help", None) for p in getattr(cmd, "params", ()))):
            if text and tag.search(text):
                found.append((path, tag.search(text).group()))  # type: ignore[union-attr]
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "randsup")
    assert found == []
