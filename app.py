"""GAN Demo Suite: interactive demos of generative models for a lecture on GANs.

    python app.py                 # http://127.0.0.1:7860
    python app.py --share         # also ask Gradio for a public link (or GAN_SUITE_SHARE=1)

The models are built once here and handed to the tabs as plain callables; a tab whose
checkpoint is missing says so (with the command that fixes it) and every other tab works.
"""
from __future__ import annotations

import argparse
import functools
import os

import gradio as gr

import gan_core
from gan_core import models, settings
from gan_core.evaluate import judge
from gan_core.trainer import read_history

INTRO = """# GAN Demo Suite
Interactive demos for a lecture on generative models: every model here was trained by the suite
itself (see each model card under `checkpoints/`). Pick a tab; each explains what it shows.
"""


def mount_sampling() -> None:
    from apps import sampling
    name = "dcgan-fmnist"
    models.load(name)  # fail early, with a message, if the checkpoint is missing
    try:
        judge()
        classify = gan_core.classify
    except models.MissingCheckpointError:
        classify = None  # the pool is then shown without the judge's class names
    sampling.create_demo(
        latents=functools.partial(gan_core.latents, name),
        decode=functools.partial(gan_core.decode, name),
        classify=classify,
        history=read_history(models.checkpoint_path(name)),
        metrics=models.read_json(name, "metrics.json"),
    )


def mount_super_resolution() -> None:
    from apps import super_resolution
    from gan_core import sr_api, sr_metrics
    # No early failure here: bicubic always works, and a network that is not trained yet gets a
    # panel saying so (with the command that trains it) while the others run.
    super_resolution.create_demo(
        compare=sr_api.compare,
        error_map=sr_metrics.error_map,
        examples=sr_api.example_images(),
        notes=sr_api.available_methods(),
    )


def mount_vae() -> None:
    from apps import vae_tab
    from gan_core.data import FMNIST_CLASSES, MissingDataError, fashion_mnist_for_app
    from gan_core.evaluate_vae import elbo_terms
    names = vae_tab.DEFAULT_NAMES
    for name in names.values():
        models.load(name)  # fail early, with a message, if a checkpoint is missing
    try:
        images, labels = fashion_mnist_for_app(train=False)  # the test items drawn on the latent maps
    except MissingDataError as err:
        missing_notice("VAE latent map", err)
        return
    vae_tab.create_demo(
        encode=gan_core.encode,
        decode=gan_core.decode,
        latents=gan_core.latents,
        elbo_terms=elbo_terms,
        test_images=images,
        test_labels=labels,
        class_names=FMNIST_CLASSES,
        names=names,
        metrics={name: models.read_json(name, "metrics.json") for name in names.values()},
    )


def mount_image_to_image() -> None:
    from apps import image_to_image
    import gan_core.img2img as i2i
    notices = []  # load every checkpoint now: a missing one is fetched (online) or reported here
    for name in sorted({c for t in i2i.TASKS.values() for c in t.checkpoints.values()}):
        try:
            models.load(name)
        except models.MissingCheckpointError as err:
            notices.append(err)
    tasks = i2i.available_tasks()
    if not tasks:  # nothing to show: the whole tab says why
        raise notices[0]
    for err in notices:  # the tasks that need a missing model are left out, and the tab says so
        gr.Markdown(f"**Part of this tab is unavailable.** {err}")
    names = sorted({c for t in tasks for c in i2i.TASKS[t].checkpoints.values()})
    try:
        judge()
        item_judge = i2i.judge_item
    except models.MissingCheckpointError:
        item_judge = None  # outputs are then shown without the judge's class names
    image_to_image.create_demo(
        i2i.translate, i2i.task_input, i2i.prepare_input, i2i.prepare_target,
        judge=item_judge, edge_density=i2i.edge_density, color_scores=i2i.color_scores,
        examples=i2i.example_images(), tasks=tasks,
        metrics={name: models.read_json(name, "metrics.json") for name in names},
    )


# (tab title, function that builds the tab's contents)
TABS = [
    ("GAN sampling (DCGAN)", mount_sampling),
    ("Super-resolution", mount_super_resolution),
    ("VAE latent map", mount_vae),
    ("Image-to-image", mount_image_to_image),
]


def missing_notice(title: str, err: Exception) -> None:
    gr.Markdown(f"### {title} is unavailable\n\n{err}\n\nEvery other tab still works.")


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="GAN Demo Suite") as demo:
        gr.Markdown(INTRO)
        for title, mount in TABS:
            with gr.Tab(title):
                try:
                    mount()
                except models.MissingCheckpointError as err:
                    missing_notice(title, err)
    return demo


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="GAN Demo Suite")
    parser.add_argument("--share", action="store_true", default=settings.share_link(),
                        help="ask Gradio for a public *.gradio.live link (env: GAN_SUITE_SHARE=1)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    args = parser.parse_args(argv)
    demo = build_demo()
    demo.queue(default_concurrency_limit=2).launch(server_name=args.host, server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
