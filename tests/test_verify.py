"""verify_plan: a published plan is recomputed from its inputs and seed; every edit is named."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from randsup.assign.workdays import WorkingCalendar
from randsup.demo.synth import write_demo_data
from randsup.draw.seed import PublicSeed, commit_salt
from randsup.errors import InputError, SeedError, VerificationError
from randsup.inputs.load import load_directory
from randsup.model import Directory, Plan
from randsup.plan import make_plan
from randsup.publish.render import MANIFEST_FILE, PLAN_FILE, manifest_bytes, write_plan
from randsup.spec import PlanSpec, load_spec
from randsup.verify import plan_differences, verify_plan

SOURCES = ["02 05 12 20 25 31 08", "3245.67"]
SALT = "松江-2027Q1-盐"


class Planned:
    def __init__(self, root: Path, data: Path, out: Path, directory: Directory, spec: PlanSpec, plan: Plan):
        self.root, self.data, self.out = root, data, out
        self.directory, self.spec, self.plan = directory, spec, plan

    def copy(self, tmp: Path) -> Path:
        dst = tmp / "P"
        shutil.copytree(self.out, dst)
        return dst


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Planned:
    root = tmp_path_factory.mktemp("verify")
    data = root / "D"
    write_demo_data(data, entities=3000, inspectors=200, seed=0, announced=True)  # secrecy: test_reveal.py
    directory = load_directory(data)
    spec = load_spec(data / "plan-2027Q1.toml")
    plan = make_plan(directory, spec, PublicSeed.for_spec(spec.seed, SOURCES))
    out = write_plan(plan, root / "P", spec=spec, directory=directory)
    return Planned(root, data, out, directory, spec, plan)


def _edit_plan(out: Path, edit: object) -> None:
    """Apply ``edit(plan_json_dict)`` and fix the manifest, as a careful forger would."""
    data = json.loads((out / PLAN_FILE).read_text("utf-8"))
    edit(data)  # type: ignore[operator]
    (out / PLAN_FILE).write_bytes((json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode())
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / MANIFEST_FILE).write_bytes(manifest_bytes(files))


def _site_visit(plan: Plan) -> int:
    return next(i for i, v in enumerate(plan.visits) if len(v.inspectors) >= 2)


def test_untouched_plan_verifies(planned: Planned) -> None:
    report = verify_plan(planned.out, data=planned.data)
    assert report.visits == len(planned.plan.visits) > 0
    assert report.files >= 8 and report.inputs == len(planned.directory.digests)
    assert report.summary().startswith("verified: ")


def test_changed_inspector_is_named(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    i = _site_visit(planned.plan)
    v = planned.plan.visits[i]
    a = v.inspectors[0]
    on_visit = {x.inspector_id for x in v.inspectors}
    other = next(p.inspector_id for p in planned.directory.inspectors
                 if p.department_id == a.department_id and p.inspector_id not in on_visit)

    def edit(d: dict) -> None:
        d["visits"][i]["inspectors"][0]["inspector_id"] = other

    _edit_plan(out, edit)
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    text = str(e.value)
    assert f"visit {v.visit_id} inspectors: published" in text
    assert other in text and "manifest" not in text


def test_changed_date_is_named(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    i = _site_visit(planned.plan)
    v = planned.plan.visits[i]
    days = WorkingCalendar.for_quarter(planned.spec.quarter, planned.spec.holidays_path()).working_days()
    new = next(d for d in days if d != v.date)

    def edit(d: dict) -> None:
        d["visits"][i]["date"] = new.isoformat()

    _edit_plan(out, edit)
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert f'visit {v.visit_id} date: published "{new.isoformat()}", recomputed "{v.date}"' in str(e.value)


def test_changed_entity_is_named(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    v = planned.plan.visits[0]
    drawn = {x.entity_id for x in planned.plan.visits}
    other = next(e for e in planned.directory.entities.entity_id.tolist() if e not in drawn)

    def edit(d: dict) -> None:
        d["visits"][0]["entity_id"] = other

    _edit_plan(out, edit)
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert f'visit {v.visit_id} entity_id: published "{other}", recomputed "{v.entity_id}"' in str(e.value)


def test_inspector_from_another_department_breaks_a_rule(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    i = _site_visit(planned.plan)
    v = planned.plan.visits[i]
    stranger = next(p for p in planned.directory.inspectors if p.department_id not in v.departments)

    def edit(d: dict) -> None:
        d["visits"][i]["inspectors"][0]["inspector_id"] = stranger.inspector_id

    _edit_plan(out, edit)
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert any(line.startswith(f"{PLAN_FILE}: rule broken: visit {v.visit_id}") for line in e.value.differences)


def test_one_changed_input_byte_names_the_file(planned: Planned, tmp_path: Path) -> None:
    data = tmp_path / "D"
    shutil.copytree(planned.data, data)
    raw = bytearray((data / "inspectors.csv").read_bytes())
    at = raw.index(b"\n", raw.index(b"\n") + 1) - 1  # last byte of the first data row
    raw[at] = ord("1") if raw[at] != ord("1") else ord("2")  # max_visits_per_quarter: still a valid number
    (data / "inspectors.csv").write_bytes(bytes(raw))
    with pytest.raises(VerificationError) as e:
        verify_plan(planned.out, data=data)
    assert len(e.value.differences) == 1
    assert e.value.differences[0].startswith("input inspectors.csv: SHA-256 is")


def test_manifest_mismatch_and_unlisted_file_are_named(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    csv_bytes = bytearray((out / "visits.csv").read_bytes())
    csv_bytes[-2] ^= 1
    (out / "visits.csv").write_bytes(bytes(csv_bytes))
    (out / "public" / "extra.txt").write_text("hi")
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    diffs = e.value.differences
    assert any(d.startswith("visits.csv: SHA-256 is") and "manifest.json records" in d for d in diffs)
    assert any(d.startswith("public/extra.txt: in the plan directory but not listed in manifest.json")
               for d in diffs)
    assert any(d.startswith("visits.csv: row ") for d in diffs)


def test_plan_differences_is_empty_for_equal_plans(planned: Planned) -> None:
    assert plan_differences(planned.plan, planned.plan) == []
    moved = planned.plan.model_copy(update={"plan_id": "other"})
    assert plan_differences(planned.plan, moved) == ['plan.json: plan_id: published "songjiang-2027Q1", '
                                                     'recomputed "other"']


def test_not_a_plan_directory(tmp_path: Path, planned: Planned) -> None:
    with pytest.raises(InputError, match="not a plan directory"):
        verify_plan(tmp_path, data=planned.data)


def test_salted_plan_needs_the_right_salt(planned: Planned, tmp_path: Path) -> None:
    spec = planned.spec.model_copy(update={"seed": planned.spec.seed.model_copy(
        update={"salt_commitment": commit_salt(SALT)})})
    seed = PublicSeed.for_spec(spec.seed, SOURCES, SALT)
    plan = make_plan(planned.directory, spec, seed)
    out = write_plan(plan, tmp_path / "S", spec=spec, directory=planned.directory)
    assert plan.seed["salt_commitment"] == commit_salt(SALT)
    record = json.loads((out / "public" / "draw-record.json").read_text("utf-8"))
    assert record["seed"]["seed_hex"] is None and record["tasks"][0]["ticket_seed"] is None
    with pytest.raises(SeedError, match="--salt"):
        verify_plan(out, data=planned.data)
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data, salt="wrong")
    assert any("does not match the salt commitment" in d for d in e.value.differences)
    assert verify_plan(out, data=planned.data, salt=SALT).salt_checked


def _listing_forger(out: Path, extra: dict[str, str]) -> None:
    """List ``extra`` (name → SHA-256) in the manifest beside the real files, as a forger would."""
    manifest = json.loads((out / MANIFEST_FILE).read_text("utf-8"))
    manifest["files"].update(extra)
    (out / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def test_added_file_listed_in_the_manifest_still_fails(planned: Planned, tmp_path: Path) -> None:
    # Issue 12 #6: public/entity-list.csv added *and* listed gave "verified"; the file is not the plan's.
    out = planned.copy(tmp_path)
    (out / "public" / "entity-list.csv").write_text("entity_id\n91310117MA1G000001\n", encoding="utf-8")
    _listing_forger(out, {"public/entity-list.csv": hashlib.sha256(
        (out / "public" / "entity-list.csv").read_bytes()).hexdigest()})
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert e.value.exit_code == 1
    assert "public/entity-list.csv: listed in manifest.json, but randsup writes no such file for this plan" \
        in " ".join(e.value.differences)


def test_extra_unlisted_file_exits_1(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    (out / "public" / "entity-list.csv").write_text("x", encoding="utf-8")
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert e.value.exit_code == 1
    assert e.value.differences[0].startswith("public/entity-list.csv: in the plan directory but not listed")


@pytest.mark.parametrize("entry", ["../D/entities.csv", "/etc/hostname", "public/../../D/entities.csv",
                                   "C:/Windows/win.ini", "public\\..\\..\\x"])
def test_manifest_entry_outside_the_folder_exits_1(planned: Planned, tmp_path: Path, entry: str) -> None:
    out = planned.copy(tmp_path)
    target = planned.data / "entities.csv"
    _listing_forger(out, {entry: hashlib.sha256(target.read_bytes()).hexdigest()})
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert e.value.exit_code == 1
    assert any(d.startswith(f"{entry}: listed in manifest.json but leaves the plan folder")
               for d in e.value.differences), e.value.differences


def test_symlinked_file_in_the_manifest_exits_1(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    (out / "public" / "entities.csv").symlink_to(planned.data / "entities.csv")
    _listing_forger(out, {"public/entities.csv": hashlib.sha256(
        (planned.data / "entities.csv").read_bytes()).hexdigest()})
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    assert any("symbolic link" in d for d in e.value.differences)


def test_office_litter_is_only_a_warning(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    for name in ("~$visits.xlsx", ".~lock.visits.xlsx#", "Thumbs.db", "public/.DS_Store"):
        (out / name).write_bytes(b"\x00")
    report = verify_plan(out, data=planned.data)
    assert sorted(n.split(":")[0] for n in report.notes if "office or system file" in n) == [
        ".~lock.visits.xlsx#", "Thumbs.db", "public/.DS_Store", "~$visits.xlsx"]


def test_published_dates_are_working_days_of_the_quarter(planned: Planned) -> None:
    days = set(WorkingCalendar.for_quarter(planned.spec.quarter, planned.spec.holidays_path()).working_days())
    assert all(v.date in days and v.date.year == 2027 for v in planned.plan.visits)
    assert all(isinstance(v.date, dt.date) for v in planned.plan.visits)


def test_missing_holidays_copy_is_named(planned: Planned, tmp_path: Path) -> None:
    out = planned.copy(tmp_path)
    (out / "calendar" / "holidays-2027.toml").unlink()
    with pytest.raises(VerificationError) as e:
        verify_plan(out, data=planned.data)
    diffs = e.value.differences
    assert "calendar/holidays-2027.toml: listed in manifest.json but missing from the plan directory" in diffs
    assert any(d.startswith("the plan cannot be recomputed:") for d in diffs)
