"""The "Improved Techniques" section: its table, grids and explanations, with and without results."""
from __future__ import annotations

import json

import gradio as gr
import torch

from apps import technique_table as tt
from gan_core.gan import techniques


def _run(config, seed, fid, steps=1200, covered=10, grid=True):
    return {"config": config, "flags": techniques.CONFIGS.get(config, ["--ema", "0.999"]), "seed": seed,
            "steps": steps, "batch_size": 64, "n_eval": 10000, "judge_fid": fid, "classes_covered": covered,
            "min_class_share": 0.05, "kl_to_uniform": 0.01, "nn_ratio": 1.2, "train_s": 100.0,
            "grid": f"{config}-{steps}x64.png" if grid and seed == 0 else None}


def _results(tmp_path):
    runs = [_run("vanilla", s, 30.0 + s) for s in range(3)] + [_run("ema", s, 20.0 + 2 * s) for s in range(3)]
    runs += [_run("minibatch", 0, 40.0, covered=8, grid=False), _run("vanilla", 0, 14.0, steps=6000)]
    data = {"runs": runs, "long": [], "baseline": {"judge_fid": 13.4075, "steps": 6000, "batch_size": 64},
            "best_rows": {"1200x64": {"rows": ["ema"], "flags": ["--ema", "0.999"]}},
            "machine": {"device": "Test CPU", "runtime": "CPU (1 thread), fp32", "torch": "x"}}
    data["summary"] = techniques.summarise(data)
    for name in ("vanilla-1200x64.png", "ema-1200x64.png"):  # vanilla-6000x64.png stays missing
        techniques.save_grid(torch.rand(64, 1, 28, 28), tmp_path / name)
    return data


def test_without_results_the_section_says_so_and_gives_the_command(tmp_path):
    assert tt.load_results(tmp_path / "absent.json") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert tt.load_results(tmp_path / "broken.json") == {}
    with gr.Blocks():
        parts = tt.create_section({}, tmp_path)
    assert "No results yet" in parts["empty"].value and tt.COMMAND in parts["empty"].value
    assert "tables" not in parts and "Feature matching" in parts["explanations"].value


def test_the_table_has_one_row_per_configuration_with_mean_and_std(tmp_path):
    data = _results(tmp_path)
    assert tt.budgets(data) == [(6000, 64), (1200, 64)]
    table = tt.table_markdown(data, (1200, 64)).splitlines()
    assert [line.split("|")[1].strip() for line in table[2:]] == ["vanilla", "minibatch", "ema"]
    vanilla, minibatch, ema = table[2:]
    assert "| 31.00 ± 1.00 | 3 | 10/10 | 1.200 | 1200 steps × batch 64 |" in vanilla
    assert "| 22.00 ± 2.00 | 3 |" in ema and "`--ema 0.999`" in ema
    assert "| 40.00 ± – (one seed) | 1 | 8/10 |" in minibatch  # no spread to show from one seed
    assert "(none: today's recipe)" in vanilla
    notes = tt.notes_markdown(data)
    assert "judge FID 13.41 after 6000 steps" in notes and "Best combination at 1200 steps × batch 64: ema" in notes
    assert "Test CPU" in notes and "10,000 samples" in notes


def test_each_row_with_a_grid_file_gets_its_picture(tmp_path):
    data = _results(tmp_path)
    items = tt.gallery_items(data, (1200, 64), tmp_path)
    assert [caption for _, caption in items] == ["vanilla: FID 31.0", "ema: FID 22.0"]
    assert all(im.size == (242, 242) for im, _ in items)
    assert tt.gallery_items(data, (6000, 64), tmp_path) == []  # its grid file is missing: no broken picture
    with gr.Blocks():
        parts = tt.create_section(data, tmp_path)
    assert len(parts["tables"]) == 2 and len(parts["galleries"]) == 1
    assert "6000 steps × batch 64" in parts["tables"][0].value


def test_a_results_file_without_a_summary_is_summarised(tmp_path):
    data = _results(tmp_path)
    del data["summary"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    loaded = tt.load_results(path)
    assert [r["config"] for r in tt.rows(loaded)][:1] == ["vanilla"]
    assert "31.00 ± 1.00" in tt.table_markdown(loaded, (1200, 64))


def test_every_technique_is_explained_with_its_formula():
    text = tt.explanations_markdown()
    for name in techniques.DEFAULT_ROWS:
        assert f"**{name}**" in text
    for formula in ("‖E_x f(x) − E_z f(G(z))‖²", "exp(−‖M_{i,k} − M_{j,k}‖₁)", "λ‖θ − (1/t) Σ_i θ_i‖²",
                    "0.9", "(R + 1)", "θ_EMA ← 0.999 θ_EMA + 0.001 θ"):
        assert formula in text, formula
