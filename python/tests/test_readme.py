"""The README's Python example runs as written and prints the numbers it shows."""

import os
import pathlib
import re


README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_example():
    text = README.read_text()
    section = text[text.index("\n## Python\n") :]
    m = re.search(r"```python\n(.*?)```", section, re.S)
    assert m, "no python block in the README's Python section"
    return m.group(1)


def test_readme_python_example(tmp_path, monkeypatch):
    # matplotlib is part of the README's set-up line (the example plots): required here.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(compile(python_example(), "README.md", "exec"), ns)
    # The numbers the comments show.
    assert f"{ns['fp'].phi_e:.5f}" == "0.36238" and f"{ns['fp'].girko_radius:.5f}" == "0.58862"
    assert ns["fp"].het_stable is True
    jc = ns["jc"]
    assert [f"{x:.5f}" for x in (jc[0], jc[1], jc[2], jc[-1])] == ["0.84215", "0.89985", "1.00047", "1.11631"]
    assert ns["sim"].regime == "time_dependent" and f"{ns['sim'].tau_dec_e:.2f}" == "6.14"
    assert ns["report"].verdict == "pass"
    assert os.path.getsize(tmp_path / "acf.png") > 0
