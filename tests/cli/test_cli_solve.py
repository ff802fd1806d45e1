"""The command line: `lacv --version`, `lacv solve`, `lacv demo`, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import lacv
from lacv.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and lacv.__version__ in out


def test_python_dash_m():
    proc = subprocess.run([sys.executable, "-m", "lacv", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and lacv.__version__ in proc.stdout


@pytest.fixture
def system(tmp_path):
    A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, 2.0, 4.0])
    a_path, b_path = tmp_path / "A.csv", tmp_path / "b.csv"
    np.savetxt(a_path, A, delimiter=",")
    np.savetxt(b_path, b, delimiter=",")
    np.save(tmp_path / "A.npy", A)
    return a_path, b_path, tmp_path / "A.npy"


def test_solve_least_squares(capsys, system):
    a_path, b_path, _ = system
    code, out, err = run(capsys, "solve", str(a_path), str(b_path))
    assert code == 0, err
    assert "0.83333333" in out and "1.5" in out
    assert "condition number" in out and "verdict" in out


def test_solve_json_and_npy(capsys, system):
    _, b_path, npy = system
    code, out, _ = run(capsys, "solve", str(npy), str(b_path), "--json", "--method", "qr")
    data = json.loads(out)
    assert code == 0 and data["method"] == "qr"
    np.testing.assert_allclose(data["x"], [5 / 6, 1.5])
    assert data["svd"]["rank"] == 2


def test_solve_homogeneous(capsys, tmp_path):
    path = tmp_path / "A.txt"
    path.write_text("# two equations\n1 1 -2\n2 -1 -1\n")
    code, out, _ = run(capsys, "solve", "--homogeneous", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["nullity"] == 1
    np.testing.assert_allclose(data["x"], np.ones(3) / np.sqrt(3))


def test_rank_deficient_reports_warning(capsys, tmp_path):
    a, b = tmp_path / "A.csv", tmp_path / "b.csv"
    a.write_text("1,2\n2,4\n3,6\n")
    b.write_text("1\n2\n3\n")
    code, out, _ = run(capsys, "solve", str(a), str(b))
    assert code == 0
    assert "warning: A is rank-deficient" in out and "rank-deficient" in out


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"A.csv": None}, "no such file"),
        ({"A.csv": "1,2\n3,x\n"}, "line 2: 'x' is not a number"),
        ({"A.csv": "1,2\n3\n"}, "different numbers of columns"),
        ({"A.csv": ""}, "contains no numbers"),
        ({"A.csv": "1,nan\n1,2\n"}, "non-finite value at row 1, column 2"),
    ],
)
def test_bad_files_exit_2_one_line(capsys, tmp_path, files, message):
    for name, text in files.items():
        if text is not None:
            (tmp_path / name).write_text(text)
    b = tmp_path / "b.csv"
    b.write_text("1\n2\n")
    code, out, err = run(capsys, "solve", str(tmp_path / "A.csv"), str(b))
    assert code == 2
    assert message in err and "A.csv" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_shape_mismatch_exit_2(capsys, system, tmp_path):
    a_path, _, _ = system
    b = tmp_path / "b4.csv"
    b.write_text("1\n2\n3\n4\n")
    code, _, err = run(capsys, "solve", str(a_path), str(b))
    assert code == 2 and "has 4 rows, but A" in err


def test_binary_npy_garbage_exit_2(capsys, tmp_path):
    bad = tmp_path / "A.npy"
    bad.write_bytes(b"\x00\x01not numpy")
    code, _, err = run(capsys, "solve", "--homogeneous", str(bad))
    assert code == 2 and "not a readable .npy file" in err


def test_usage_errors_exit_2(capsys, system):
    a_path, _, _ = system
    code, _, err = run(capsys, "solve", str(a_path))
    assert code == 2 and "B: missing" in err
    code, _, err = run(capsys, "solve", str(a_path), "--method", "lu")
    assert code == 2 and "Invalid value" in err
    code, _, err = run(capsys, "nonsense")
    assert code == 2 and "No such command" in err
    # one line like every other error (click printed usage, 'Try --help' and a blank line first)
    code, _, err = run(capsys, "train", "--epochs", "0")
    assert code == 2 and err.count("\n") == 1
    assert err == ("lacv: error: Invalid value for '--epochs': 0 is not in the range x>=1. "
                   "(see 'lacv train --help')\n")
    code, _, err = run(capsys)  # a bare 'lacv' still shows the help
    assert code == 2 and "Commands:" in err


def test_huge_entries_report_without_warnings(capsys, tmp_path):
    # the SVD report's Frobenius norm overflowed: a RuntimeWarning on stderr and 'inf'
    path = tmp_path / "huge.csv"
    np.savetxt(path, np.array([[3.0, 0.0], [0.0, 4.0], [1.0, 1.0]]) * 1e200, delimiter=",")
    code, out, err = run(capsys, "solve", "--homogeneous", str(path), "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["svd"]["frobenius_norm"] == pytest.approx(np.sqrt(27.0) * 1e200)


def test_out_of_memory_is_a_one_line_error(capsys, system, monkeypatch):
    # options that ask for more memory than there is (train --hidden 100000000) gave exit 1
    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 47.7 GiB")

    monkeypatch.setattr(lacv.linalg, "solve_least_squares", exhausted)
    a_path, b_path, _ = system
    code, _, err = run(capsys, "solve", str(a_path), str(b_path))
    assert code == 2 and err.startswith("lacv: error: out of memory (Unable to allocate 47.7 GiB)")
    assert err.count("\n") == 1


def test_subprocess_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lacv", "solve", str(tmp_path / "missing.csv"),
                           str(tmp_path / "b.csv")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("lacv: error:") and "Traceback" not in proc.stderr


def test_demo_writes_summary(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    code, out, err = run(capsys, "demo", "--out", str(out_dir), "--quick")
    assert code == 0, err
    summary = (out_dir / "summary.txt").read_text()
    assert "Line fit" in summary and "Hessian at (0, 1)" in summary
