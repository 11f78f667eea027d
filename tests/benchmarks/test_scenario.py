"""The synthetic scenario generator: deterministic, time-ordered, real raw shapes, sound truth."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.__main__ import main
from benchmarks.scenario.more_threats import MORE
from schemas.readers import InputReader

SMALL = {"seed": 11, "days": 10, "users": 14, "learning_days": 5}
FAMILIES = {"credential_misuse", "privilege_abuse", "lateral_movement"}
RFC3164 = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 1-3]\d \d\d:\d\d:\d\d "
    r"[a-z0-9-]+ [A-Za-z-]+(\[\d+\])?: .*\S$"
)
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ISO_S_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# Fields every HELK record of an event id must carry (Security-Datasets names).
REQUIRED = {
    4624: (
        "TargetUserName",
        "TargetDomainName",
        "LogonType",
        "IpAddress",
        "WorkstationName",
        "AuthenticationPackageName",
        "TargetLogonId",
    ),
    4625: ("TargetUserName", "LogonType", "Status", "SubStatus", "IpAddress"),
    4634: ("TargetUserName", "TargetLogonId", "LogonType"),
    4648: ("SubjectUserName", "TargetUserName", "TargetServerName"),
    4672: ("SubjectUserName", "PrivilegeList"),
    4688: ("SubjectUserName", "NewProcessName", "CommandLine"),
    4697: ("SubjectUserName", "ServiceName", "ServiceFileName"),
    4720: ("SubjectUserName", "TargetUserName", "SamAccountName"),
    4722: ("SubjectUserName", "TargetUserName"),
    4724: ("SubjectUserName", "TargetUserName"),
    4728: ("SubjectUserName", "TargetUserName", "MemberName", "MemberSid"),
    4732: ("SubjectUserName", "TargetUserName", "MemberName", "MemberSid"),
    4768: ("TargetUserName", "IpAddress", "Status", "ServiceName"),
    4769: ("TargetUserName", "ServiceName", "IpAddress", "Status"),
    4698: ("SubjectUserName", "TaskName", "TaskContent"),
    4776: ("TargetUserName", "Workstation", "Status"),
    5140: ("SubjectUserName", "ShareName", "IpAddress"),
    5145: ("SubjectUserName", "ShareName", "RelativeTargetName", "IpAddress"),
    7045: ("ServiceName", "ImagePath"),
    1102: ("SubjectUserName",),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("scenario")
    return out, generate(out, **SMALL)


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _files(out: Path, kind: str) -> list[Path]:
    return sorted((out / "logs" / kind).iterdir())


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("compress", [False, True])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, compress: bool) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generate(first, gzip=compress, **SMALL)
    generate(second, gzip=compress, **SMALL)
    assert _digests(first) == _digests(second)
    other = tmp_path / "c"
    generate(other, gzip=compress, **{**SMALL, "seed": SMALL["seed"] + 1})
    assert _digests(first) != _digests(other)


def test_background_does_not_depend_on_the_attack_list(tmp_path: Path) -> None:
    with_attacks, without = tmp_path / "a", tmp_path / "b"
    truth = generate(with_attacks, attacks=["fanout_burst"], **SMALL)
    generate(without, attacks=[], **SMALL)
    evidence = set(truth.attacks[0].evidence)
    day = truth.attacks[0].start[:10]
    lines_with = (with_attacks / f"logs/windows/helk-{day}.json").read_text().splitlines()
    lines_without = (without / f"logs/windows/helk-{day}.json").read_text().splitlines()
    kept = [
        line
        for line in lines_with
        if f"{json.loads(line)['Hostname'].split('.')[0].lower()}:{json.loads(line)['RecordNumber']}"
        not in evidence
    ]
    strip = re.compile(r'"(RecordNumber|ThreadID)":\d+,')
    assert [strip.sub("", x) for x in kept] == [strip.sub("", x) for x in lines_without]


def test_layout_and_rerun_replaces_old_output(tmp_path: Path) -> None:
    truth = generate(tmp_path, gzip=True, **SMALL)
    assert (tmp_path / "truth.json").is_file()
    assert {f.split("/")[1] for f in truth.files} == {"windows", "linux", "cloudtrail"}
    assert all(f.endswith(".gz") for f in truth.files)
    truth = generate(tmp_path, **SMALL)  # plain files now; the .gz ones must be gone
    written = sorted(
        str(p.relative_to(tmp_path)) for p in (tmp_path / "logs").rglob("*") if p.is_file()
    )
    assert written == truth.files
    assert ScenarioTruth.load(tmp_path / "truth.json") == truth


def test_every_file_is_time_ordered(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, _ = scenario
    for path in _files(out, "windows"):
        stamps = [json.loads(line)["@timestamp"] for line in _read(path).splitlines()]
        assert stamps == sorted(stamps), path
    for path in _files(out, "linux"):
        keys = []
        for line in _read(path).decode().splitlines():
            month, day, clock = line[:3], int(line[4:6]), line[7:15]
            keys.append((MONTHS[month], day, clock))
        assert keys == sorted(keys), path
    for path in _files(out, "cloudtrail"):
        stamps = [r["eventTime"] for r in json.loads(_read(path))["Records"]]
        assert stamps == sorted(stamps), path


def test_attacks_have_entities_and_windows_after_learning(
    scenario: tuple[Path, ScenarioTruth],
) -> None:
    _, truth = scenario
    assert [a.name for a in truth.attacks] == list(ATTACKS)
    assert len({a.id for a in truth.attacks}) == len(truth.attacks)
    for attack in truth.attacks:
        assert attack.family in FAMILIES
        assert attack.technique and attack.mitre
        assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", m) for m in attack.mitre)
        assert attack.entities and all(attack.entities.values()), attack.id
        assert attack.primary["id"] and attack.primary["type"] in ("user", "host", "ip")
        ids = {v for values in attack.entities.values() for v in values}
        assert attack.primary["id"] in ids
        assert ISO_S_Z.match(attack.start) and ISO_S_Z.match(attack.end)
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0


def test_truth_lists_active_users_and_benign_episodes(scenario: tuple[Path, ScenarioTruth]) -> None:
    _, truth = scenario
    assert len(truth.active_users) == truth.days
    assert truth.user_days == sum(len(users) for users in truth.active_users.values())
    assert all(
        u == u.lower() and "\\" not in u for users in truth.active_users.values() for u in users
    )
    kinds = {episode.kind for episode in truth.normal_life}
    assert {"new_hire", "server_rollout", "backup_fanout", "internet_scanners"} <= kinds
    hire = next(e for e in truth.normal_life if e.kind == "new_hire")
    assert hire.events > 0 and hire.start >= truth.learning_end
    (new_user,) = hire.entities["users"]
    assert new_user not in {
        u
        for day in list(truth.active_users)[: truth.learning_days]
        for u in truth.active_users[day]
    }


def test_evidence_ids_point_at_written_records(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, truth = scenario
    windows, trail, syslog = set(), set(), set()
    for path in _files(out, "windows"):
        for line in _read(path).splitlines():
            record = json.loads(line)
            windows.add(f"{record['Hostname'].split('.')[0].lower()}:{record['RecordNumber']}")
    for path in _files(out, "cloudtrail"):
        trail.update(r["eventID"] for r in json.loads(_read(path))["Records"])
    for path in _files(out, "linux"):
        count = len(_read(path).splitlines())
        syslog.update(f"linux/{path.name}:{n}" for n in range(1, count + 1))
    for item in [*truth.attacks, *truth.normal_life]:
        missing = set(item.evidence) - windows - trail - syslog
        assert not missing, (item.id, sorted(missing)[:3])


def test_helk_lines_are_json_with_the_real_fields(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, _ = scenario
    seen: set[int] = set()
    for path in _files(out, "windows"):
        for line in _read(path).splitlines():
            record = json.loads(line)
            event_id = record["EventID"]
            seen.add(event_id)
            assert isinstance(event_id, int)
            assert record["Channel"] == ("System" if event_id == 7045 else "Security")
            assert ISO_MS_Z.match(record["@timestamp"])
            assert record["Hostname"].count(".") >= 1 and record["Hostname"].split(".")[0].isupper()
            assert isinstance(record["RecordNumber"], int)
            for name in REQUIRED.get(event_id, ()):
                assert record.get(name) not in (None, ""), (event_id, name)
            if "LogonType" in record:
                assert isinstance(record["LogonType"], str)
            if event_id in (4728, 4732, 4756):
                assert record["MemberName"].startswith("CN=")
    assert {4624, 4625, 4634, 4648, 4672, 4768, 4769, 4776, 5140, 5145, 7045, 4697, 1102} <= seen
    assert {4720, 4722, 4724, 4728} <= seen


def test_syslog_lines_have_the_rfc3164_shape(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, _ = scenario
    programs: set[str] = set()
    for path in _files(out, "linux"):
        for line in _read(path).decode().splitlines():
            assert RFC3164.match(line), line
            programs.add(line.split()[4].split("[")[0].rstrip(":"))
    assert {"sshd", "sudo", "CRON"} <= programs


def test_cloudtrail_files_load_with_records(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, truth = scenario
    names: set[str] = set()
    for path in _files(out, "cloudtrail"):
        assert path.name.startswith(f"{truth.aws_account}_CloudTrail_")
        document = json.loads(_read(path))
        assert list(document) == ["Records"] and document["Records"]
        for record in document["Records"]:
            assert ISO_S_Z.match(record["eventTime"])
            assert record["eventSource"].endswith(".amazonaws.com")
            assert record["userIdentity"]["type"] in ("IAMUser", "AssumedRole", "AWSService")
            names.add(record["eventName"])
    assert {"ConsoleLogin", "AssumeRole", "DeleteObject", "CreateUser", "AttachUserPolicy"} <= names


def test_vigil_reads_everything_without_dead_letters(scenario: tuple[Path, ScenarioTruth]) -> None:
    out, truth = scenario
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert not dead, dead[:3]
    assert set(reader.stats.by_format) == {"helk", "syslog", "cloudtrail"}
    start = datetime.fromisoformat(truth.start.replace("Z", "+00:00"))
    end = datetime.fromisoformat(truth.end.replace("Z", "+00:00"))
    # RFC 3164 has no year: the reader infers it from the file mtime the writer set.
    assert all(start <= e.time < end for e in events)
    assert [e.time for e in events] == sorted(e.time for e in events)


def test_attack_selection_and_errors(tmp_path: Path) -> None:
    truth = generate(tmp_path / "a", attacks=["password_spray:2", "login_chain"], **SMALL)
    assert [a.name for a in truth.attacks] == ["password_spray", "password_spray", "login_chain"]
    assert generate(tmp_path / "b", attacks=[], **SMALL).attacks == []
    with pytest.raises(ValueError, match="unknown attack"):
        generate(tmp_path / "c", attacks=["nope"], **SMALL)
    with pytest.raises(ValueError, match="learning_days"):
        generate(tmp_path / "d", days=6, learning_days=5)
    with pytest.raises(ValueError, match="at least 12"):
        generate(tmp_path / "e", users=8, days=9)


def test_cli_prints_a_one_line_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        str(tmp_path),
        "--seed",
        "3",
        "--days",
        "9",
        "--users",
        "12",
        "--attacks",
        "fanout_burst",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip()
    assert "\n" not in out and "1 attacks [fanout_burst]" in out and "windows" in out
    assert json.loads((tmp_path / "truth.json").read_text())["attacks"][0]["name"] == "fanout_burst"
    assert main([str(tmp_path), "--attacks", "bogus", "--days", "9", "--users", "12"]) == 2


# --------------------------------------------------------------------------------------------
# The threat-list kinds (opt-in: ``--attacks new``).

# SHA-256 over the per-file digests of SMALL's default scenario. Existing seed sets must stay
# byte-identical; change this only with a deliberate, announced change to the generator's normal
# life or old attacks. Last changed (was e774165b..., commit dbf1b12) by issue 3's server-to-server
# ssh of normal life (ansible and the backup pull each night, admins hopping app -> db): every
# scenario gains those sessions; the events that were there stay, only sshd ports and logind
# session numbers after the first new session differ (one random stream writes them).
# Round 7 (issue 3) added benign remote administration to normal life (remote_admin.py: WinRM
# config pushes, client pushes, admins' remoting and WMI, helpdesk DameWare, inventory shares):
# the Windows log's shared random stream (logon ids, ports, process ids) moves after the first
# new event, so every Windows file changes; the events themselves stay.
# Round 11 (issue 3, was acc9fed8...): about one engineer or admin in five signs some CLI
# sessions with their long-term key directly (no AssumeRole; half of them only from the second
# half on), the benign look-alike of a stolen key; those sessions lose their AssumeRole record
# and the trail's event ids after the first one move (its own random stream writes them).
SMALL_DEFAULT_DIGEST = "c14c892c88f0928e70c34434394df6f62f844d3d989e5cfc94d3b3e37a40f5e7"


@pytest.fixture(scope="module")
def threats(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("threats")
    return out, generate(out, attacks=["new"], **SMALL)


def _evidence(
    out: Path, truth: ScenarioTruth, name: str
) -> tuple[list[dict], list[str], list[dict]]:
    """(HELK records, syslog lines, CloudTrail records) of the one attack called ``name``."""
    (attack,) = [a for a in truth.attacks if a.name == name]
    wanted = set(attack.evidence)
    windows = [
        record
        for path in _files(out, "windows")
        for record in map(json.loads, _read(path).splitlines())
        if f"{record['Hostname'].split('.')[0].lower()}:{record['RecordNumber']}" in wanted
    ]
    lines = [
        line
        for path in _files(out, "linux")
        for n, line in enumerate(_read(path).decode().splitlines(), start=1)
        if f"linux/{path.name}:{n}" in wanted
    ]
    trail = [
        record
        for path in _files(out, "cloudtrail")
        for record in json.loads(_read(path))["Records"]
        if record["eventID"] in wanted
    ]
    return windows, lines, trail


def test_default_scenarios_are_unchanged_by_the_new_kinds(tmp_path: Path) -> None:
    generate(tmp_path / "default", **SMALL)
    generate(tmp_path / "all", attacks=["all"], **SMALL)
    digests = _digests(tmp_path / "default")
    assert digests == _digests(tmp_path / "all")
    combined = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()
    assert combined == SMALL_DEFAULT_DIGEST


def test_new_kinds_are_opt_in_and_well_formed(
    threats: tuple[Path, ScenarioTruth], tmp_path: Path
) -> None:
    out, truth = threats
    assert not set(THREATS) & set(ATTACKS)
    assert [a.name for a in truth.attacks] == list(THREATS)
    assert {a.family for a in truth.attacks} == FAMILIES
    for attack in truth.attacks:
        assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", m) for m in attack.mitre)
        assert attack.entities and all(attack.entities.values()), attack.id
        ids = {v for values in attack.entities.values() for v in values}
        assert attack.primary["id"] in ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0
    every = generate(tmp_path / "every", attacks=["every"], **SMALL)
    assert [a.name for a in every.attacks] == [*ATTACKS, *THREATS]
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    assert list(reader.read_paths([str(out / "logs")])) and not dead, dead[:3]


def test_brute_force_guesses_one_account_then_gets_in(threats: tuple[Path, ScenarioTruth]) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "brute_force_user")
    failed = [r for r in windows if r["EventID"] == 4625]
    assert len(failed) >= 40 and {r["TargetUserName"] for r in failed} == {
        failed[0]["TargetUserName"]
    }
    assert {r["SubStatus"] for r in failed} == {"0xc000006a"}
    assert {r["WorkstationName"] for r in failed} == {failed[0]["WorkstationName"]}
    (success,) = [r for r in windows if r["EventID"] == 4624]
    assert success["TargetUserName"] == failed[0]["TargetUserName"]
    assert success["AuthenticationPackageName"] == "NTLM"
    assert success["@timestamp"] > max(r["@timestamp"] for r in failed)


def test_kerberoasting_asks_rc4_tickets_for_every_service_account(
    threats: tuple[Path, ScenarioTruth],
) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "kerberoasting")
    assert {r["EventID"] for r in windows} == {4769}
    assert {r["TicketEncryptionType"] for r in windows} == {"0x17"}
    assert {r["ServiceName"] for r in windows} == {
        "svc_backup",
        "svc_web",
        "svc_scan",
        "svc_deploy",
    }
    assert len({r["TargetUserName"] for r in windows}) == 1


def test_privileged_reset_then_the_account_is_used(threats: tuple[Path, ScenarioTruth]) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "privileged_reset_use")
    (reset,) = [r for r in windows if r["EventID"] == 4724]
    assert reset["SubjectUserName"] != reset["TargetUserName"]
    used = [
        r
        for r in windows
        if r["EventID"] == 4624 and r["TargetUserName"] == reset["TargetUserName"]
    ]
    assert {r["LogonType"] for r in used} == {"3", "10"}
    assert all(r["@timestamp"] > reset["@timestamp"] for r in used)


def test_sudo_group_add_then_a_root_shell(threats: tuple[Path, ScenarioTruth]) -> None:
    out, truth = threats
    _, lines, _ = _evidence(out, truth, "linux_sudo_group_add")
    add = next(line for line in lines if "COMMAND=/usr/sbin/usermod -aG sudo" in line)
    member = add.rsplit(" ", 1)[1]
    assert any("usermod[" in line and f"add '{member}' to group 'sudo'" in line for line in lines)
    assert any(f"sudo:   {member} : " in line and "COMMAND=/bin/bash" in line for line in lines)


def test_permission_sweep_changes_many_policies_within_minutes(
    threats: tuple[Path, ScenarioTruth],
) -> None:
    out, truth = threats
    _, _, trail = _evidence(out, truth, "aws_permission_sweep")
    changes = [r for r in trail if not r["readOnly"] and r["eventName"] != "AssumeRole"]
    assert len(changes) >= 20
    assert {"PutBucketPolicy", "PutBucketAcl", "AttachRolePolicy"} <= {
        r["eventName"] for r in changes
    }
    first, last = (datetime.fromisoformat(changes[i]["eventTime"][:-1]) for i in (0, -1))
    assert (last - first).total_seconds() < 15 * 60


def test_pass_the_hash_is_a_netonly_logon_then_ntlm(threats: tuple[Path, ScenarioTruth]) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "pass_the_hash")
    (pth,) = [r for r in windows if r["EventID"] == 4624 and r["LogonType"] == "9"]
    victim = pth["TargetOutboundUserName"]
    assert pth["LogonProcessName"] == "seclogo" and victim != pth["TargetUserName"]
    network = [r for r in windows if r["EventID"] == 4624 and r["LogonType"] == "3"]
    assert len(network) >= 2
    assert {(r["TargetUserName"], r["AuthenticationPackageName"]) for r in network} == {
        (victim, "NTLM")
    }
    assert {r["WorkstationName"] for r in network} == {pth["Hostname"].split(".")[0]}


def test_remote_exec_by_wmi_winrm_and_a_scheduled_task(threats: tuple[Path, ScenarioTruth]) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "lateral_remote_exec")
    parents = {r["ParentProcessName"].rsplit("\\", 1)[1] for r in windows if r["EventID"] == 4688}
    assert {"WmiPrvSE.exe", "wsmprovhost.exe"} <= parents
    assert sum(r["EventID"] == 4698 for r in windows) == 1
    assert not any(r["EventID"] in (7045, 4697) for r in windows)  # no service: not PsExec


def test_source_host_fanout_reaches_many_hosts_from_one_server(
    threats: tuple[Path, ScenarioTruth],
) -> None:
    out, truth = threats
    windows, _, _ = _evidence(out, truth, "source_host_fanout")
    logons = [r for r in windows if r["EventID"] == 4624]
    assert len({r["WorkstationName"] for r in logons}) == 1
    assert logons[0]["WorkstationName"] in ("APP01", "APP02")
    assert len({r["Hostname"] for r in logons}) >= 10
    assert len({r["TargetUserName"] for r in logons}) >= 2


def test_more_kinds_are_opt_in_well_formed_and_read_back(tmp_path: Path) -> None:
    # Round 8's variants: in no other group (``every`` names the sets it named before), each
    # with entities, a window after learning and evidence, and every record read back.
    assert not set(MORE) & (set(ATTACKS) | set(THREATS))
    truth = generate(tmp_path, attacks=["more"], **SMALL)
    assert [a.name for a in truth.attacks] == list(MORE)
    assert {a.family for a in truth.attacks} == FAMILIES
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id
    windows, _, _ = _evidence(tmp_path, truth, "rdp_lateral")
    assert {r["LogonType"] for r in windows if r["EventID"] == 4624} == {"10"}
    windows, _, _ = _evidence(tmp_path, truth, "slow_creds_office")
    names = {r["WorkstationName"] for r in windows if r["EventID"] == 4624}
    assert len(names) == 1 and names.pop().startswith("DESKTOP-")
    windows, _, _ = _evidence(tmp_path, truth, "local_admin_backdoor")
    created = [r for r in windows if r["EventID"] == 4720]
    assert created and created[0]["TargetDomainName"] == created[0]["Hostname"].split(".")[0]
    windows, _, _ = _evidence(tmp_path, truth, "dcsync")
    replication = [r for r in windows if r["EventID"] == 4662]
    assert replication and all("1131f6a" in r["Properties"] for r in replication)
    _, lines, _ = _evidence(tmp_path, truth, "linux_su_root")
    assert any("session opened for user root(uid=0)" in line for line in lines)
    _, _, trail = _evidence(tmp_path, truth, "aws_console_spray")
    assert (
        sum(
            r["responseElements"] == {"ConsoleLogin": "Failure"}
            for r in trail
            if r["eventName"] == "ConsoleLogin"
        )
        >= 8
    )
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    assert list(reader.read_paths([str(tmp_path / "logs")])) and not dead, dead[:3]
