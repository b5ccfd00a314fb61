"""The "Improved Techniques" ablation of the Fashion-MNIST DCGAN, as a section of a tab.

    from apps.technique_table import create_section, load_results
    create_section(load_results())          # inside a gr.Blocks / gr.Tab being built

One table per step budget (rows: configuration; columns: judge FID mean ± std over seeds, classes
covered, memorisation ratio, the budget), an 8x8 sample grid per row, and one or two sentences
with the formula for each technique. The results come from ``python -m gan_core.gan.techniques``
(``checkpoints/dcgan-fmnist/techniques/results.json``); without them the section says so and
gives the command.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr
from PIL import Image

from gan_core.gan import techniques

COMMAND = "python -m gan_core.gan.techniques --steps 6000 --seeds 3"
TITLE = "### Improved Techniques on the Fashion-MNIST DCGAN (Salimans et al. 2016)"


def load_results(path: Path | None = None) -> dict:
    """The ablation's results file, or ``{}`` when it has not been run (or cannot be read)."""
    path = path or techniques.results_path()
    try:
        return techniques.load_results(path) if path.exists() else {}
    except (OSError, ValueError):
        return {}


def rows(results: dict) -> list[dict]:
    """The summary rows, largest budget first (recomputed from the runs when absent)."""
    if not results.get("runs"):
        return []
    return results.get("summary") or techniques.summarise(results)


def budgets(results: dict) -> list[tuple[int, int]]:
    """(steps, batch size) of the budgets present, largest first."""
    seen: list[tuple[int, int]] = []
    for r in rows(results):
        if (r["steps"], r["batch_size"]) not in seen:
            seen.append((r["steps"], r["batch_size"]))
    return seen


def _switches(row: dict) -> str:
    return " ".join(row["flags"]) or "(none: today's recipe)"


def table_markdown(results: dict, budget: tuple[int, int]) -> str:
    """The table of one budget as Markdown, in the order of ``techniques.DEFAULT_ROWS``."""
    steps, bs = budget
    lines = ["| configuration | switches | judge FID (mean ± std) | seeds | classes covered (worst seed) "
             "| memorisation ratio | budget |",
             "|---|---|---|---|---|---|---|"]
    for r in rows(results):
        if (r["steps"], r["batch_size"]) != budget:
            continue
        spread = f"{r['judge_fid_std']:.2f}" if len(r["seeds"]) > 1 else "– (one seed)"
        lines.append(f"| {r['config']} | `{_switches(r)}` | {r['judge_fid_mean']:.2f} ± {spread} "
                     f"| {len(r['seeds'])} | {r['classes_covered_min']}/10 | {r['nn_ratio_mean']:.3f} "
                     f"| {steps} steps × batch {bs} |")
    return "\n".join(lines)


def notes_markdown(results: dict) -> str:
    """How the figures were measured, the shipped model to beat, the machine, and the best combination."""
    first = results["runs"][0]
    out = [f"Judge FID of {first['n_eval']:,} samples against the 10,000 test items (lower is better); "
           "± is the standard deviation over seeds. Classes covered: classes the judge finds among the "
           "samples, for the worst seed. Memorisation ratio: median distance of 1,000 samples to their "
           "nearest training item over the same for 1,000 test items (well below 1 would mean copying)."]
    base = results.get("baseline") or {}
    if base.get("judge_fid") is not None:
        out.append(f"The model the rows were compared with (`dcgan-fmnist` when they ran): judge FID "
                   f"{base['judge_fid']:.2f} after {base.get('steps')} steps × "
                   f"batch {base.get('batch_size')} (techniques: {base.get('techniques', 'none')}).")
    for key, chosen in (results.get("best_rows") or {}).items():
        out.append(f"Best combination at {key.replace('x', ' steps × batch ')}: {', '.join(chosen['rows'])} "
                   "(each beat vanilla alone in the runs done when the combination was first trained; "
                   "compare the rows above over every seed).")
    for r in results.get("long", []):
        shipped = "shipped as `dcgan-fmnist`" if r.get("shipped") else "not shipped"
        out.append(f"Longer run of {r['config']} (`{' '.join(r['flags'])}`): judge FID {r['judge_fid']:.2f} after "
                   f"{r['steps']} steps, {shipped}.")
    m = results.get("machine") or {}
    if m:
        out.append(f"Measured on {m.get('device', '?')} ({m.get('runtime', '?')}), torch {m.get('torch', '?')}.")
    return "\n\n".join(out)


def gallery_items(results: dict, budget: tuple[int, int], folder: Path | None = None) -> list[tuple]:
    """(image, caption) of every row of ``budget`` whose grid file exists."""
    folder = Path(folder or techniques.results_path().parent)
    items = []
    for r in rows(results):
        if (r["steps"], r["batch_size"]) != budget or not r.get("grid"):
            continue
        path = folder / r["grid"]
        if path.is_file():
            with Image.open(path) as im:
                items.append((im.convert("L"), f"{r['config']}: FID {r['judge_fid_mean']:.1f}"))
    return items


def explanations_markdown() -> str:
    return "\n".join(f"* **{name}** — {text}" for name, text in techniques.EXPLANATIONS.items())


EMPTY = (f"No results yet: the ablation has not been run on this machine. Run `{COMMAND}` "
         "(resumable; `--steps` sets the budget) to fill this table.")


def create_section(results: dict, folder: Path | None = None) -> dict:
    """Build the section inside the Blocks being built; returns its components by name."""
    out: dict = {"title": gr.Markdown(TITLE)}
    found = budgets(results)
    if not found:
        out["empty"] = gr.Markdown(EMPTY)
    else:
        out["notes"] = gr.Markdown(notes_markdown(results))
        out["tables"], out["galleries"] = [], []
        for budget in found:
            out["tables"].append(gr.Markdown(f"**{budget[0]} steps × batch {budget[1]}**\n\n"
                                             + table_markdown(results, budget)))
            items = gallery_items(results, budget, folder)
            if items:
                out["galleries"].append(gr.Gallery(items, label=f"Samples per row ({budget[0]} steps, first seed)",
                                                   columns=4, height="auto", format="png", interactive=False))
    with gr.Accordion("What each technique does", open=False):
        out["explanations"] = gr.Markdown(explanations_markdown())
    return out


if __name__ == "__main__":
    with gr.Blocks() as demo:
        create_section(load_results())
    demo.launch()
