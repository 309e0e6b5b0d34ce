"""Every code block of README.md runs as a newcomer pastes it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language):
    return re.findall(rf"```{language}\n(.+?)\n```", README, re.DOTALL)


@pytest.mark.parametrize("code", blocks("python"), ids=lambda code: code.splitlines()[0][:40])
def test_python_blocks_run_in_a_fresh_interpreter(code, tmp_path):
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_shell_blocks_after_the_two_setup_commands_run(tmp_path):
    """The setup commands are what CI itself runs; the others run here with a fresh home folder."""
    commands = blocks("bash")[2:]
    assert commands, "the README shows how to make the student copies"
    env = dict(os.environ, HOME=str(tmp_path), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    assert len(list((tmp_path / "ad-course").glob("*.ipynb"))) == len(list((ROOT / "lessons").glob("[0-9]*.ipynb")))


def test_the_magic_lines_run_as_pasted():
    """The "In class" block, line by line, after the README's first Python block defined f."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert shell.run_cell(blocks("python")[0]).success
        section = README.split("## In class: `%load_ext adlab`", 1)[1]
        lines = re.search(r"```\n(.+?)\n```", section, re.DOTALL).group(1).splitlines()
        assert lines[0] == "%load_ext adlab" and len(lines) >= 5
        for line in lines:
            result = shell.run_cell(line, store_history=False)
            assert result.success, f"{line}: {result.error_in_exec or result.error_before_exec}"
    finally:
        InteractiveShell.clear_instance()


def test_the_table_1_line_says_which_order_its_rows_are_in():
    """`%trace x1*x2 + x2 - ln(x1)` numbers rows as Python evaluates (v₂ = v₁ + v₀, then ln): the README says so."""
    import numpy as np

    import adlab

    line = next(line for line in README.splitlines() if line.startswith("%trace x1*x2 + x2 - ln(x1) at x1=2"))
    assert "Table 1's rows, in Python's evaluation order" in line
    rows = adlab.trace(lambda x1, x2: x1 * x2 + x2 - np.log(x1), 2.0, 4.0)
    assert [rows[k].op for k in (1, 2, 3, 4)] == ["multiply", "add", "log", "subtract"]
