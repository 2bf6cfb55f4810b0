"""The files in deploy/ read by the programs that read them on a production host.

The settings template by systemd's own parser and by sh, as the units and cron's
intake-task read /etc/intake/intake.env; every unit by `systemd-analyze verify`, on a
root laid out as a fresh host (docs/deploy.md, "One host, step by step").
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from intake.config import ConfigError, load_config
from intake.domain.crypto import new_key

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "intake.env.example"
TASK = DEPLOY / "intake-task"
UNITS = sorted(
    path.name for path in DEPLOY.iterdir() if path.suffix in (".service", ".timer", ".socket")
)
# systemd-environment-d-generator reads environment.d files with the parser that reads
# EnvironmentFile= (src/basic/env-file.c, parse_env_file_internal); it only expands $
# besides, which the template never holds. Debian 12 keeps it with the user
# generators; elsewhere it is also at the first path. It needs no systemd running.
ENVIRONMENT_D_GENERATORS = (
    "/usr/lib/systemd/systemd-environment-d-generator",
    "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator",
)
NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)
# What replaces each "..." of the template, as an operator would.
FILLED_IN = {
    "SECRET_KEY": "k" * 48,
    "INTAKE_DATA_KEYS": new_key(),
    "DATABASE_URL": "app-password",
    "INTAKE_HELPLINE_PHONE": "048 1234",
    "INTAKE_METRICS_TOKEN": "m" * 43,
    "INTAKE_SMTP_URL": "mail-password",
    "INTAKE_ALERT_WEBHOOK_URL": "T000/B000/hook",
    "INTAKE_ALERT_WEBHOOK_SECRET": "w" * 43,
}
# The checkout's folders git does not hold: not on a fresh host.
NOT_CHECKED_OUT = {
    ".git",
    ".venv",
    ".venv-scan",
    "node_modules",
    "instance",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}
# Unit settings naming paths that must exist when the unit starts, unless marked "-".
PATH_SETTINGS = {
    "WorkingDirectory",
    "EnvironmentFile",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "ExecPaths",
    "NoExecPaths",
}


class Reading(NamedTuple):
    values: dict[str, str]
    errors: str


def installed(*candidates: str) -> str:
    """The first of these programs that is installed; CI installs them all (.ci/run)."""
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    message = f"{Path(candidates[0]).name} is not installed (apt-get install systemd): CI has it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def read_with_sh(path: Path) -> Reading:
    """As deploy/intake-task reads it: `set -a; . ./file`, in an empty environment."""

    def run(script: str) -> tuple[dict[str, str], str]:
        done = subprocess.run(
            [installed("env"), "-i", installed("sh"), "-c", script],
            cwd=path.parent,
            capture_output=True,
            check=True,
        )
        pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if item)
        return dict(pairs), done.stderr.decode()

    before, _ = run("env -0")
    after, errors = run(f"set -a; . ./{path.name}; env -0")
    return Reading({name: value for name, value in after.items() if name not in before}, errors)


def read_with_systemd(path: Path, folder: Path) -> Reading:
    """As EnvironmentFile= reads it: by systemd's parser, in systemd-environment-d-generator,
    from $XDG_CONFIG_HOME/environment.d/."""
    generator = installed(*ENVIRONMENT_D_GENERATORS)
    (folder / "environment.d").mkdir(parents=True)
    shutil.copy(path, folder / "environment.d" / "intake.conf")

    def run(config_home: Path) -> tuple[dict[str, str], str]:
        done = subprocess.run(
            [installed("env"), "-i", f"XDG_CONFIG_HOME={config_home}", generator],
            capture_output=True,
            text=True,
            check=True,
        )
        pairs = (line.split("=", 1) for line in done.stdout.splitlines())
        return {name: _unquoted(value) for name, value in pairs}, done.stderr

    before, _ = run(folder / "nothing")  # what the system's own environment.d files set
    after, errors = run(folder)
    return Reading({name: value for name, value in after.items() if name not in before}, errors)


def _unquoted(value: str) -> str:
    """The generator prints each value as shell_maybe_quote does: bare, or in double
    quotes with a backslash before " \\ ` and $ (and control characters C-escaped,
    left as they are here, so that they show as a difference)."""
    if not value.startswith('"'):
        return value
    assert value.endswith('"'), value
    return re.sub(r'\\(["\\`$])', r"\1", value[1:-1])


def names_in(path: Path) -> list[str]:
    return NAME.findall(path.read_text())


def check_with_intake_task(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [installed("sh"), str(TASK), "--check", str(path)], capture_output=True, text=True
    )


def filled_in(values: dict[str, str]) -> dict[str, str]:
    """Each "..." replaced, as an operator would; one with no replacement stays."""
    return {
        name: value.replace("...", FILLED_IN.get(name, "...")) for name, value in values.items()
    }


# The settings template


def test_systemd_and_sh_read_every_line_of_the_settings_template_alike(tmp_path):
    by_systemd = read_with_systemd(TEMPLATE, tmp_path)
    by_sh = read_with_sh(TEMPLATE)
    assert (by_systemd.errors, by_sh.errors) == ("", "")
    assert by_systemd.values == by_sh.values
    assert sorted(by_sh.values) == sorted(names_in(TEMPLATE))


def test_the_settings_template_holds_no_comment_quote_or_expansion_in_a_value(tmp_path):
    values = read_with_systemd(TEMPLATE, tmp_path).values
    for name, value in values.items():
        assert "#" not in value, name
        assert value.strip() == value, name
        assert value[:1] not in ("'", '"') and value[-1:] not in ("'", '"'), name
        assert not set(value) & set("$`\\"), name
    # Each line is at most one setting (a value with spaces is quoted) and no comment
    # line ends in a backslash, which systemd before v254 reads as going on.
    assert not [line for line in TEMPLATE.read_text().splitlines() if line.endswith("\\")]


def test_the_settings_template_once_filled_in_starts_a_production_app(tmp_path):
    values = filled_in(read_with_systemd(TEMPLATE, tmp_path).values)
    assert not [name for name, value in values.items() if "..." in value]
    config = load_config(tmp_path, values)
    assert config["INTAKE_ENV"] == "production"
    assert config["INTAKE_TRUSTED_PROXIES"] == 1
    assert config["INTAKE_HELPLINE_PHONE"] == "0800 048 1234"
    assert config["INTAKE_MAIL_FROM_NAME"] == "Callback service"
    assert config["INTAKE_ORG_NAME"] == "Northgate Recovery Ltd"
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("@127.0.0.1/intake")
    for key, value in config.items():
        for text in _texts(value):
            assert "#" not in text, key
            assert text[:1] not in ("'", '"') and text[-1:] not in ("'", '"'), key


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    return []


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "INTAKE_DATA_KEYS",
        "INTAKE_HELPLINE_PHONE",
        "INTAKE_METRICS_TOKEN",
        "INTAKE_ALERT_WEBHOOK_SECRET",
    ],
)
def test_a_secret_or_number_left_as_the_templates_placeholder_stops_the_app(tmp_path, name):
    values = read_with_systemd(TEMPLATE, tmp_path).values
    with pytest.raises(ConfigError, match=name):
        load_config(tmp_path, {**filled_in(values), name: values[name]})


def test_the_deploy_guide_points_to_the_template_and_holds_no_copy_of_it():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert "deploy/intake.env.example" in guide
    copied = [name for name in names_in(TEMPLATE) if re.search(rf"^\s*{name}=", guide, re.M)]
    assert copied == []


# intake-task refuses a settings file that systemd and sh would read differently


def test_intake_task_accepts_the_settings_template():
    checked = check_with_intake_task(TEMPLATE)
    assert (checked.returncode, checked.stderr) == (0, "")


@pytest.mark.parametrize(
    "line",
    [
        "INTAKE_TRUSTED_PROXIES=1  # nginx in front",
        'INTAKE_MAIL_FROM_NAME="Callback service"   # seen in inboxes',
        "INTAKE_HELPLINE_PHONE=0800 048 1234",
        "INTAKE_ORG_NAME=Northgate;Recovery",
    ],
)
def test_intake_task_refuses_a_line_that_systemd_and_sh_read_differently(tmp_path, line):
    settings = tmp_path / "intake.env"
    settings.write_text(f"# Settings\nINTAKE_ENV=production\n{line}\n")
    by_systemd = read_with_systemd(settings, tmp_path / "systemd")
    by_sh = read_with_sh(settings)
    assert by_systemd.values != by_sh.values or by_sh.errors
    checked = check_with_intake_task(settings)
    assert checked.returncode == 78
    assert checked.stderr.startswith(f"intake-task: {settings}, line 3: systemd and sh")
    assert len(checked.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "line",
    [
        "SECRET_KEY=$HOME",
        'SECRET_KEY="a$HOME"',
        "SECRET_KEY=`id`",
        "SECRET_KEY=~/key",
        'SECRET_KEY="back\\slash"',
        "SECRET_KEY='single quotes'",
        "  SECRET_KEY=indented",
        "# a comment that goes on \\",
        "INTAKE_ORG_NAME=Zoë",
        'INTAKE_ORG_NAME="Northgate\r',
    ],
)
def test_intake_task_refuses_any_other_line_and_never_shows_its_value(tmp_path, line):
    settings = tmp_path / "intake.env"
    settings.write_text(f"INTAKE_ENV=production\n{line}\nINTAKE_TRUSTED_PROXIES=1\n")
    checked = check_with_intake_task(settings)
    assert checked.returncode == 78
    assert checked.stderr.startswith(f"intake-task: {settings}, line 2: ")
    assert line.split("=")[-1].strip() not in checked.stderr


def test_intake_task_accepts_hashes_and_semicolons_inside_double_quotes(tmp_path):
    settings = tmp_path / "intake.env"
    settings.write_text('INTAKE_ORG_ADDRESS="Flat #4; 12 Mill Lane"\nINTAKE_ORG_NAME="Zoë Ltd"\n')
    assert check_with_intake_task(settings).returncode == 0
    by_systemd = read_with_systemd(settings, tmp_path / "systemd")
    assert by_systemd.values == read_with_sh(settings).values
    assert by_systemd.values["INTAKE_ORG_ADDRESS"] == "Flat #4; 12 Mill Lane"


# The systemd units


def fresh_host(root: Path) -> Path:
    """What a host holds after docs/deploy.md's steps 1 to 4: Debian's programs and
    systemd's own units, the checkout in /srv/intake with its virtualenv, the settings
    in /etc/intake/intake.env and the units in /etc/systemd/system. Files are empty:
    `verify` asks only that they exist and that programs are executable."""
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for folder in ("usr/bin", "usr/sbin"):
        _stubs(root / folder, (path.name for path in Path("/", folder).iterdir()), 0o755)
    (root / "bin").symlink_to("usr/bin")
    (root / "sbin").symlink_to("usr/sbin")
    checkout = root / "srv/intake"
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_CHECKED_OUT]
        here = checkout / Path(folder).relative_to(ROOT)
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            _stubs(here, [name], os.stat(Path(folder, name)).st_mode & 0o777)
    _stubs(checkout / ".venv/bin", (path.name for path in Path(sys.prefix, "bin").iterdir()), 0o755)
    (root / "etc/intake").mkdir(parents=True)
    shutil.copy(TEMPLATE, root / "etc/intake/intake.env")
    (root / "etc/systemd/system").mkdir(parents=True)
    for name in UNITS:
        shutil.copy(DEPLOY / name, root / "etc/systemd/system" / name)
    return root


def _stubs(folder: Path, names, mode: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        if not os.path.lexists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, mode))


def unit_problems(root: Path, unit: str) -> list[str]:
    """What `systemd-analyze verify` says of the unit (warnings included: it exits 0 on
    a misspelt setting, which it ignores), and each path the unit needs at start that
    the host does not have (verify checks only the programs)."""
    analyze = installed("systemd-analyze")
    done = subprocess.run(
        [analyze, "verify", f"--root={root}", "--man=no", unit],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "info"},
    )
    problems = (done.stdout + done.stderr).splitlines()
    if done.returncode:
        problems.append(f"systemd-analyze verify exited {done.returncode}")
    for line in (root / "etc/systemd/system" / unit).read_text().splitlines():
        setting, _, value = line.partition("=")
        if setting.strip() not in PATH_SETTINGS:
            continue
        for path in value.split():
            if not path.startswith("-") and not (root / path.lstrip("+~/")).exists():
                problems.append(f"{setting}={path}: not on a fresh host, and not marked -")
    return problems


def test_deploy_holds_the_units_the_guide_installs():
    assert {"intake.service", "intake-migrate.service", "intake-outbox.service"} <= set(UNITS)


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_passes_each_unit_on_a_fresh_host(tmp_path, unit):
    assert unit_problems(fresh_host(tmp_path), unit) == []


@pytest.mark.parametrize(
    ("correct", "broken", "said"),
    [
        ("ReadWritePaths=", "ReadWritePath=", "Unknown key 'ReadWritePath'"),
        ("[Service]", "[Servce]", "Unknown section 'Servce'"),
        (".venv/bin/gunicorn ", ".venv/bin/gunicorm ", "gunicorm is not executable"),
        ("ReadWritePaths=-/srv/", "ReadWritePaths=/srv/", "ReadWritePaths=/srv/intake/instance"),
        ("EnvironmentFile=/etc/", "EnvironmentFile=/etc/intake/x/", "EnvironmentFile=/etc/"),
    ],
    ids=[
        "misspelt-setting",
        "misspelt-section",
        "missing-program",
        "missing-folder",
        "missing-file",
    ],
)
def test_a_broken_unit_fails_the_check(tmp_path, correct, broken, said):
    root = fresh_host(tmp_path)
    unit = root / "etc/systemd/system/intake.service"
    assert correct in unit.read_text()
    unit.write_text(unit.read_text().replace(correct, broken, 1))
    problems = unit_problems(root, "intake.service")
    assert [problem for problem in problems if said in problem], problems
