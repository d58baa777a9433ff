"""Issue 12 (public record): salted unless announced, nothing public predicts the draw, the reveal.

On the demo, through the CLI as a clerk would run it: without a salt the plan is refused; with
`salt new` + `--salt-file` it plans and verifies; before the reveal nothing under public/ lets
anyone compute who is drawn; the reveal is refused before the last visit and then publishes the
drawn lists, which verify recomputes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from randsup.cli import app
from randsup.draw.seed import PublicSeed, commit_salt, read_salt_file
from randsup.draw.tickets import ticket, ticket_distance
from randsup.errors import SpecError
from randsup.history.ledger import Ledger
from randsup.history.planning import plan_with_ledger
from randsup.inputs.load import load_directory
from randsup.model import RISK_CLASSES
from randsup.plan import make_plan
from randsup.spec import load_spec

SOURCES = ["--source", "02 05 12 20 25 31 08", "--source", "3245.67"]
VALUES = ["02 05 12 20 25 31 08", "3245.67"]


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """salt new → demo-data with its commitment → plan --salt-file (a fresh, random salt)."""
    root = tmp_path_factory.mktemp("reveal")
    r = run("salt", "new", root / "salt.txt")
    assert r.exit_code == 0, r.output
    line = r.stdout.strip()
    assert re.fullmatch(r'salt_commitment = "sha256:[0-9a-f]{64}"', line), line
    # 400 inspectors: the small demo district is staffable whatever the salt.
    r = run("demo-data", root / "D", "--entities", "3000", "--inspectors", "400", "--salt-file", root / "salt.txt")
    assert r.exit_code == 0, r.output
    assert line in (root / "D" / "plan-2027Q1.toml").read_text("utf-8")
    r = run("plan", root / "D", root / "D" / "plan-2027Q1.toml", *SOURCES, "--salt-file", root / "salt.txt",
            "--out", root / "P")
    assert r.exit_code == 0, r.output
    return root


def test_salt_new_is_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    r = run("salt", "new", tmp_path / "s.txt")
    assert r.exit_code == 0, r.output
    salt = read_salt_file(tmp_path / "s.txt")
    assert len(salt) == 64 and r.stdout.strip() == f'salt_commitment = "{commit_salt(salt)}"'
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "s.txt").stat().st_mode) == 0o600
    before = (tmp_path / "s.txt").read_bytes()
    r = run("salt", "new", tmp_path / "s.txt")
    assert r.exit_code == 2 and "never overwritten" in r.stderr
    assert (tmp_path / "s.txt").read_bytes() == before
    r = run("salt", "new", tmp_path / "other.txt")
    assert read_salt_file(tmp_path / "other.txt") != salt


def test_demo_plan_without_a_salt_commitment_exits_2(tmp_path: Path) -> None:
    r = run("demo-data", tmp_path / "D", "--entities", "3000", "--inspectors", "400")
    assert r.exit_code == 0, r.output
    before = tree(tmp_path / "D")
    r = run("plan", tmp_path / "D", tmp_path / "D" / "plan-2027Q1.toml", *SOURCES, "--out", tmp_path / "P")
    assert r.exit_code == 2, r.output
    assert "salt_commitment" in r.stderr and "randsup salt new" in r.stderr and "announced = true" in r.stderr
    assert "Traceback" not in r.output
    assert not (tmp_path / "P").exists() and tree(tmp_path / "D") == before  # no ledger either


def test_the_library_refuses_an_unsalted_unannounced_plan(tmp_path: Path) -> None:
    r = run("demo-data", tmp_path / "D", "--entities", "3000", "--inspectors", "400")
    assert r.exit_code == 0
    directory = load_directory(tmp_path / "D")
    spec = load_spec(tmp_path / "D" / "plan-2027Q1.toml")
    seed = PublicSeed.for_spec(spec.seed, VALUES)
    with pytest.raises(SpecError, match="randsup salt new"):
        make_plan(directory, spec, seed)
    with Ledger(tmp_path / "ledger.sqlite") as book, pytest.raises(SpecError, match="announced = true"):
        plan_with_ledger(directory, spec, seed, book, tmp_path / "P")
    assert not (tmp_path / "P").exists()
    # announced = true (e.g. 企业公示信息 checks) needs no salt.
    announced = spec.model_copy(update={"announced": True})
    assert make_plan(directory, announced, seed).visits


def test_salted_demo_plans_and_verifies(demo: Path) -> None:
    r = run("verify", demo / "P", "--data", demo / "D", "--salt-file", demo / "salt.txt")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("verified: ") and "salt matches its commitment" in r.stdout
    r = run("verify", demo / "P", "--data", demo / "D")
    assert r.exit_code == 2 and "--salt-file" in r.stderr  # the salt is not public yet
    r = run("verify", demo / "P", "--data", demo / "D", "--salt", read_salt_file(demo / "salt.txt"))
    assert r.exit_code == 0 and "command line" in r.stderr  # --salt still works, with a warning


def _public_text(plan_dir: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted((plan_dir / "public").rglob("*")) if p.is_file())


def test_nothing_public_computes_the_draw_before_the_reveal(demo: Path) -> None:
    plan = json.loads((demo / "P" / "plan.json").read_text("utf-8"))
    salt = read_salt_file(demo / "salt.txt")
    seed = PublicSeed.from_key_string(plan["seed"]["key_string"], salt)
    public = _public_text(demo / "P")
    assert sorted(p.name for p in (demo / "P" / "public").iterdir()) == [
        "draw-record.json", "plan-notice.html", "plan-notice.md"]
    # No seed, no salt, no sub-seed of any domain, no ticket seed.
    secrets = {salt, seed.seed_hex, *(seed.sub_seed(d) for d in ("entities", "inspectors", "dates")),
               *(t["task_seed"] for t in plan["tasks"]),
               *(seed.sub_seed(f"task/{t['task_id']}{s}") for t in plan["tasks"] for s in ("", "/rounding"))}
    assert not [s for s in secrets if s in public]
    # No per-entity data: no drawn entity's id or name, nor any ticket or cut-off of theirs.
    for v in plan["visits"]:
        assert v["entity_id"] not in public and v["entity_name"] not in public
    digits = set(re.findall(r"0\.\d{12,}", public))
    tickets = {ticket(t["task_seed"], v["entity_id"])[:14] for t in plan["tasks"] for v in plan["visits"]}
    assert not [d for d in digits if d[:14] in tickets]
    record = json.loads((demo / "P" / "public" / "draw-record.json").read_text("utf-8"))
    assert record["seed"]["seed_hex"] is None and all(t["ticket_seed"] is None for t in record["tasks"])
    assert not [k for t in record["tasks"] for s in t["strata"].values() for k, v in s.items()
                if (k.startswith("cutoff") or k == "start") and v is not None]
    # The public key string alone (what an outsider could try) gives another draw than the plan's.
    unsalted = PublicSeed.from_key_string(plan["seed"]["key_string"])
    assert unsalted.entity_ticket_seed != plan["tasks"][0]["task_seed"]


def _last_visit(plan_dir: Path) -> dt.date:
    plan = json.loads((plan_dir / "plan.json").read_text("utf-8"))
    return max(dt.date.fromisoformat(v["date"]) for v in plan["visits"])


def test_reveal_is_refused_before_the_last_visit(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "P"
    shutil.copytree(demo / "P", out)
    before = tree(out)
    last = _last_visit(out)
    r = run("reveal", out, "--salt-file", demo / "salt.txt", "--data", demo / "D", "--as-of", last.isoformat())
    assert r.exit_code == 2 and "--force --reason" in r.stderr and (last + dt.timedelta(days=1)).isoformat() in r.stderr
    r = run("reveal", out, "--salt-file", demo / "salt.txt", "--data", demo / "D", "--as-of", last.isoformat(),
            "--force")
    assert r.exit_code == 2 and "--reason" in r.stderr
    (tmp_path / "wrong.txt").write_text("not the salt\n", encoding="utf-8")
    r = run("reveal", out, "--salt-file", tmp_path / "wrong.txt", "--data", demo / "D",
            "--as-of", (last + dt.timedelta(days=1)).isoformat())
    assert r.exit_code == 2 and "does not match" in r.stderr
    assert tree(out) == before
    # Forced early, the reason is published and the reveal verifies.
    r = run("reveal", out, "--salt-file", demo / "salt.txt", "--data", demo / "D", "--as-of", last.isoformat(),
            "--force", "--reason", "行政复议需要公开抽取过程")
    assert r.exit_code == 0, r.output
    rec = json.loads((out / "public" / "reveal.json").read_text("utf-8"))
    assert rec["forced"] == {"reason": "行政复议需要公开抽取过程"}
    assert "as_of" not in json.dumps(rec) and dt.date.today().isoformat() not in json.dumps(rec)
    r = run("verify", out, "--data", demo / "D")
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def revealed(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("revealed") / "P"
    shutil.copytree(demo / "P", out)
    day = (_last_visit(out) + dt.timedelta(days=1)).isoformat()
    r = run("reveal", out, "--salt-file", demo / "salt.txt", "--data", demo / "D", "--as-of", day)
    assert r.exit_code == 0, r.output
    return out


def test_reveal_adds_files_without_changing_published_ones(demo: Path, revealed: Path) -> None:
    before, after = tree(demo / "P"), tree(revealed)
    assert sorted(set(after) - set(before)) == ["public/drawn-list.csv", "public/reveal.json"]
    assert {k: v for k, v in after.items() if k in before and k != "manifest.json"} == \
        {k: v for k, v in before.items() if k != "manifest.json"}
    listed = json.loads(after["manifest.json"])["files"]
    assert sorted(listed) == sorted(k for k in after if k != "manifest.json")
    rec = json.loads(after["public/reveal.json"])
    assert rec["draw_record_sha256"] == hashlib.sha256(before["public/draw-record.json"]).hexdigest()
    assert rec["salt"] == read_salt_file(demo / "salt.txt") and rec["salt_commitment"] == commit_salt(rec["salt"])
    r = run("reveal", revealed, "--salt-file", demo / "salt.txt", "--data", demo / "D", "--as-of", "2030-01-01")
    assert r.exit_code == 2 and "revealed already" in r.stderr


def test_reveal_lists_every_drawn_entity_with_cutoffs(demo: Path, revealed: Path) -> None:
    plan = json.loads((revealed / "plan.json").read_text("utf-8"))
    rec = json.loads((revealed / "public" / "reveal.json").read_text("utf-8"))
    directory = load_directory(demo / "D")
    # Ungraded objects (sites, roads, … without a 信用风险分类) are in their task's default class.
    graded = {str(e): RISK_CLASSES[int(k)] if int(k) < len(RISK_CLASSES) else None
              for e, k in zip(directory.entities.entity_id, directory.entities.risk_class, strict=True)}
    record = json.loads((revealed / "public" / "draw-record.json").read_text("utf-8"))
    default = {t["task_id"]: t["default_risk_class"] for t in record["tasks"]}
    for t in rec["tasks"]:
        visited = {v["entity_id"] for v in plan["visits"] if t["task_id"] in v["tasks"]}
        drawn = [e for c in t["classes"].values() for e in c["drawn"]]
        assert set(drawn) == visited and len(drawn) == len(visited)
        for k, c in t["classes"].items():
            assert all((graded[e] or default[t["task_id"]]) == k for e in c["drawn"] + c["alternates"])
            if not c["drawn"]:
                continue
            dist = [Decimal(ticket_distance(ticket(t["ticket_seed"], e), c["start"])) for e in c["drawn"]]
            assert Decimal(c["cutoff"]["largest_drawn"]) == max(dist)
            if c["alternates"]:
                first = Decimal(ticket_distance(ticket(t["ticket_seed"], c["alternates"][0]), c["start"]))
                assert max(dist) < first
                assert Decimal(c["cutoff"]["smallest_not_drawn"]) == first
    rows = (revealed / "public" / "drawn-list.csv").read_text("utf-8-sig").splitlines()
    assert rows[0] == "task_id,task_name,risk_class,rank,entity_id,entity_name,status"
    assert len(rows) - 1 == sum(len(c["drawn"]) + len(c["alternates_used"])
                                for t in rec["tasks"] for c in t["classes"].values())


def test_verify_recomputes_the_reveal(demo: Path, revealed: Path, tmp_path: Path) -> None:
    r = run("verify", revealed, "--data", demo / "D")  # the salt now comes from public/reveal.json
    assert r.exit_code == 0, r.output
    # Every file of the folder: the plan's (work lists and results templates included) and the
    # reveal's reveal.json and drawn-list.csv.
    n = sum(1 for p in revealed.rglob("*") if p.is_file())
    assert f"{n} files" in r.stdout and (revealed / "public" / "reveal.json").is_file()
    forged = tmp_path / "F"
    shutil.copytree(revealed, forged)
    rec = json.loads((forged / "public" / "reveal.json").read_text("utf-8"))
    t = next(t for t in rec["tasks"] if any(c["drawn"] and c["alternates"] for c in t["classes"].values()))
    c = next(c for c in t["classes"].values() if c["drawn"] and c["alternates"])
    c["drawn"][0], c["alternates"][0] = c["alternates"][0], c["drawn"][0]  # a swapped name on the list
    data = (json.dumps(rec, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    (forged / "public" / "reveal.json").write_bytes(data)
    manifest = json.loads((forged / "manifest.json").read_text("utf-8"))
    manifest["files"]["public/reveal.json"] = hashlib.sha256(data).hexdigest()
    (forged / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    r = run("verify", forged, "--data", demo / "D")
    assert r.exit_code == 1 and "public/reveal.json" in r.stderr


def test_after_the_reveal_the_example_verifier_reproduces_every_task(demo: Path, revealed: Path) -> None:
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[1] / "examples" / "verify_with_consistent_sampler.py"
    done = subprocess.run([sys.executable, str(example), str(revealed), "--data", str(demo / "D")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "consistent_sampler reproduces every task of plan songjiang-2027Q1" in done.stdout
    # Before the reveal it can check the populations only: the draw needs the salt.
    done = subprocess.run([sys.executable, str(example), str(demo / "P"), "--data", str(demo / "D")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "the draw itself needs the reveal" in done.stdout


def test_cli_verify_exits_1_for_an_extra_file_or_an_entry_outside_the_folder(demo: Path, tmp_path: Path) -> None:
    salt = ["--salt-file", demo / "salt.txt"]
    extra = tmp_path / "extra"
    shutil.copytree(demo / "P", extra)
    (extra / "public" / "entity-list.csv").write_text("entity_id\n", encoding="utf-8")
    r = run("verify", extra, "--data", demo / "D", *salt)
    assert r.exit_code == 1 and "public/entity-list.csv: in the plan directory but not listed" in r.stderr
    outside = tmp_path / "outside"
    shutil.copytree(demo / "P", outside)
    manifest = json.loads((outside / "manifest.json").read_text("utf-8"))
    manifest["files"]["../D/entities.csv"] = hashlib.sha256((demo / "D" / "entities.csv").read_bytes()).hexdigest()
    (outside / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    r = run("verify", outside, "--data", demo / "D", *salt)
    assert r.exit_code == 1 and "../D/entities.csv: listed in manifest.json but leaves the plan folder" in r.stderr
