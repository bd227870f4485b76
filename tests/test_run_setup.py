"""tools/run.py test installs Debian's Chromium for the browser tests only when it is
missing, and tools/run.py book --cdn asks the book build for the CDN flavour."""

import pathlib
import subprocess

from tests.conftest import ROOT, load_module


def load_run():
    return load_module(ROOT / "tools" / "run.py")


def recorder(calls):
    def fake_run(command, **kwargs):
        calls.append((list(map(str, command)), kwargs.get("env", {})))
        return subprocess.CompletedProcess(command, 0)
    return fake_run


def test_chromium_is_installed_with_apt_when_missing(monkeypatch, tmp_path):
    run = load_run()
    calls = []
    monkeypatch.setattr(run, "CHROMIUM", tmp_path / "no-chromium-here")
    monkeypatch.setattr(run.os, "geteuid", lambda: 0)
    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.ensure_chromium()
    commands = [command for command, _ in calls]
    assert commands == [["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "chromium"]]


def test_bubblewrap_is_installed_with_apt_for_every_test_run_when_missing(monkeypatch,
                                                                          tmp_path):
    run = load_run()
    calls = []
    monkeypatch.setattr(run, "BWRAP", tmp_path / "no-bwrap-here")
    monkeypatch.setattr(run, "CHROMIUM", tmp_path)  # present
    monkeypatch.setattr(run.os, "geteuid", lambda: 0)
    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.run_tests(["--fast"])
    commands = [command for command, _ in calls]
    assert commands[:2] == [["apt-get", "update", "-qq"],
                            ["apt-get", "install", "-y", "-qq", "bubblewrap"]]
    assert "pytest" in commands[2]


def test_chromium_is_left_alone_when_present(monkeypatch, tmp_path):
    run = load_run()
    calls = []
    present = tmp_path / "chromium"
    present.write_text("")
    monkeypatch.setattr(run, "CHROMIUM", present)
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.ensure_chromium()
    assert calls == []


def test_without_root_a_missing_chromium_is_reported_not_installed(monkeypatch, tmp_path,
                                                                   capsys):
    run = load_run()
    calls = []
    monkeypatch.setattr(run, "CHROMIUM", tmp_path / "no-chromium-here")
    monkeypatch.setattr(run.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.ensure_chromium()
    assert calls == []
    assert "chromium" in capsys.readouterr().out


def test_book_cdn_sets_the_flavour_for_the_build(monkeypatch):
    run = load_run()
    calls = []
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.build_book(["--cdn"])
    command, env = calls[0]
    assert "--cdn" not in command, "--cdn is for tools/run.py, not jupyter-book"
    assert env.get("SEQBOOK_BOOK_CDN") == "1"
    assert pathlib.Path(command[0]).name == "jupyter-book"


def test_tests_run_in_parallel_each_file_whole_on_one_worker(monkeypatch):
    run = load_run()
    calls = []
    monkeypatch.setattr(run, "ensure_chromium", lambda: None)
    monkeypatch.setattr(run, "usable_cores", lambda: 2)
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.run_tests([])
    command, _ = calls[0]
    assert command[command.index("-n") + 1] == "2"
    assert command[command.index("--dist") + 1] == "loadfile"
    assert "--nbval" in command
    calls.clear()
    run.run_tests(["-n", "0"])
    assert calls[0][0].count("-n") == 1, "a worker count given by the caller wins"


def test_fast_leaves_out_notebooks_slow_tests_and_chromium(monkeypatch):
    run = load_run()
    calls = []
    monkeypatch.setattr(run, "ensure_chromium", lambda: calls.append((["chromium"], {})))
    monkeypatch.setattr(run.subprocess, "run", recorder(calls))
    run.run_tests(["--fast", "-k", "cells"])
    [(command, _)] = calls
    assert "--nbval" not in command and "--fast" not in command
    assert command[command.index("-m", 3) + 1] == "not slow"  # after python -m pytest
    assert command[-2:] == ["-k", "cells"]
