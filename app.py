"""GAN Demo Suite: interactive demos of generative models for a lecture on GANs.

    python app.py                 # http://127.0.0.1:7860
    python app.py --share         # also ask Gradio for a public link (or GAN_SUITE_SHARE=1)

The models are built once here and handed to the tabs as plain callables; a tab whose
checkpoint is missing says so (with the command that fixes it) and every other tab works.
"""
from __future__ import annotations

import gc
import sys

if __name__ == "__main__":
    # Start-up creates nearly 600 000 objects that live as long as the server; the garbage collector
    # would scan them again and again on the way (about a tenth of the start-up). It is off until the
    # app is served, then those objects are frozen out of every later collection (main()).
    gc.disable()
    # A server process is never a notebook: gradio imports IPython (when installed) only for its
    # notebook magic, and skips it when the import fails (0.15 s of `import gradio` on a quiet
    # machine here, 0.5 s under load; BENCHMARKS.md).
    sys.modules.setdefault("IPython", None)

import argparse
import contextlib
import functools
import logging
import os
import threading
import time

import gradio as gr

import gan_core
from apps import inputs, memory, outputs, serving
from gan_core import checkpoints, settings

INTRO = """# GAN Demo Suite
Interactive demos for a lecture on generative models: every model here was trained by the suite
itself (see each model card under `checkpoints/`). Pick a tab; each explains what it shows.
"""


def mount_sampling() -> None:
    from apps import sampling
    name, _ = gan_core.GENERATORS["dcgan"]
    checkpoints.require(name)  # fail early, with a message, if the checkpoint is missing
    try:
        gan_core.judge()
        classify = gan_core.classify
    except checkpoints.MissingCheckpointError:
        classify = None  # the pool is then shown without the judge's class names
    sampling.create_demo(
        latents=functools.partial(gan_core.latents, name),
        decode=functools.partial(gan_core.decode, name),
        classify=classify,
        history=gan_core.read_history(checkpoints.checkpoint_path(name)),
        metrics=checkpoints.read_json(name, "metrics.json"),
    )


def mount_super_resolution() -> None:
    from apps import super_resolution
    # No early failure here: bicubic always works, and a network that is not trained yet gets a
    # panel saying so (with the command that trains it) while the others run.
    super_resolution.create_demo(
        compare=gan_core.compare_sr,
        error_map=gan_core.sr_error_map,
        methods={method: label for method, (_, label) in gan_core.SR_METHODS.items()},
        examples=gan_core.sr_examples(),
        notes=gan_core.sr_status(),
    )


def mount_vae() -> None:
    from apps import vae_tab
    for name, _ in gan_core.VAES.values():
        checkpoints.require(name)  # fail early, with a message, if a checkpoint is missing
    try:
        images, labels = gan_core.fashion_mnist_for_app(train=False)  # the test items drawn on the maps
    except gan_core.MissingDataError as err:
        missing_notice("VAE latent map", err)
        return
    vae_tab.create_demo(
        encode=gan_core.encode,
        decode=gan_core.decode,
        latents=gan_core.latents,
        elbo_terms=gan_core.elbo_terms,
        test_images=images,
        test_labels=labels,
        class_names=gan_core.FMNIST_CLASSES,
        models=gan_core.VAES,
        metrics={name: checkpoints.read_json(name, "metrics.json") for name, _ in gan_core.VAES.values()},
        cache=(settings.data_cache_dir() / "vae_maps",
               checkpoints.weights_digest([name for name, _ in gan_core.VAES.values()])),
    )


def mount_image_to_image() -> None:
    from apps import image_to_image
    notices = []  # load every checkpoint now: a missing one is fetched (online) or reported here
    # the pix2pix paper's data sets are not shipped: their tasks appear once trained or fetched, unannounced
    optional = {c for t in gan_core.TASKS.values() if t.kind == "pix2pix-paper" for c in t.checkpoints.values()}
    for name in sorted({c for t in gan_core.TASKS.values() for c in t.checkpoints.values()}):
        try:
            checkpoints.require(name)
        except checkpoints.MissingCheckpointError as err:
            if name not in optional:
                notices.append(err)
    tasks = gan_core.available_tasks()
    if not tasks:  # nothing to show: the whole tab says why
        raise notices[0]
    for err in notices:  # the tasks that need a missing model are left out, and the tab says so
        gr.Markdown(f"**Part of this tab is unavailable.** {err}")
    names = sorted({c for t in tasks for c in gan_core.TASKS[t].checkpoints.values()})
    try:
        gan_core.judge()
        item_judge = gan_core.judge_pictures
    except checkpoints.MissingCheckpointError:
        item_judge = None  # outputs are then shown without the judge's class names
    image_to_image.create_demo(
        gan_core.translate, gan_core.task_input, gan_core.prepare_input, gan_core.prepare_target,
        judge=item_judge, edge_density=gan_core.edge_density, color_scores=gan_core.color_scores,
        examples=gan_core.img2img_examples(),
        tasks={t: (gan_core.TASKS[t].kind, gan_core.TASKS[t].label) for t in tasks},
        metrics={name: checkpoints.read_json(name, "metrics.json") for name in names},
        scene_metrics={variant: checkpoints.read_json(name, "metrics.json")  # drawing -> photo's figures
                       for t in tasks if gan_core.TASKS[t].kind == "pix2pix-drawing"
                       for variant, name in gan_core.TASKS[t].checkpoints.items()},
    )


def mount_architectures() -> None:
    from apps import architectures
    arch = {role: name for role, (name, _) in gan_core.ARCHITECTURES.items()}
    conditional = {arch[role]: gan_core.ARCHITECTURES[role][1] for role in ("cgan", "acgan")}
    infogan, sgan = arch["infogan"], (arch["sgan"], arch["supervised"])
    names = [*conditional, infogan, *sgan]
    for name in names:
        checkpoints.require(name)  # fail early, with a message, if a checkpoint is missing
    gan_core.judge()
    architectures.create_demo(
        gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities, gan_core.judge_probabilities,
        class_names=gan_core.FMNIST_CLASSES, conditional=conditional, infogan=infogan, sgan=sgan,
        figures={name: checkpoints.read_json(name, "metrics.json") for name in names},
        cgan_projection=checkpoints.read_json(arch["cgan"], "config.json").get("projection", False),
    )


def mount_families() -> None:
    from apps import families
    for name, _ in gan_core.FAMILIES.values():
        checkpoints.require(name)  # fail early, with a message, if a checkpoint is missing
    name = gan_core.FAMILIES["diffusion"][0]
    families.create_demo(gan_core.generate, gan_core.denoising, gan_core.FAMILIES,
                         checkpoints.read_json(name, "metrics.json"),
                         checkpoints.present(gan_core.DIFFUSION_MODELS))  # the U-Nets on offer: those there


def mount_next_frame() -> None:
    from apps import next_frame
    for name, _ in gan_core.NEXT_FRAME.values():
        checkpoints.require(name)  # fail early, with a message, if a checkpoint is missing
    gan_core.judge()
    try:
        gan_core.nextframe_test_sequence(0)  # the test sequences are made of Fashion-MNIST's test items
    except gan_core.MissingDataError as err:
        missing_notice("Next frame", err)
        return
    next_frame.create_demo(
        gan_core.nextframe_test_sequence, gan_core.nextframe_sequence, gan_core.nextframe_test_item,
        gan_core.nextframe_drawn_item, gan_core.nextframe_rollouts, gan_core.nextframe_judge, gan_core.nextframe_scores,
        labels={key: label for key, (_, label) in gan_core.NEXT_FRAME.items()},
        class_names=gan_core.FMNIST_CLASSES, curves=gan_core.nextframe_curves(),
    )


def mount_training_lab() -> None:
    from apps import technique_table, training_lab
    training_lab.create_demo()  # trains small networks live, per browser session: no checkpoint
    # below the 2-D lab, the same techniques measured on the Fashion-MNIST DCGAN (a results file)
    technique_table.create_section(technique_table.load_results())


def mount_failure_gallery() -> None:
    from apps import failure_gallery
    # no early failure: a case whose model is missing says so when its button is pressed
    structure = gan_core.FAILURES["structure"][0]
    failure_gallery.create_demo(
        live=gan_core.failure_live, dirac=gan_core.dirac_gan, samples=gan_core.failure_samples,
        record=gan_core.failure_record, count=gan_core.count_objects, canvases=gan_core.make_canvases,
        boxes=gan_core.make_boxes, box_fit=gan_core.box_fit_pictures, generate=gan_core.generate,
        judge_probabilities=gan_core.judge_probabilities, structure=gan_core.structure_figures,
        least_confident=gan_core.least_confident, class_names=gan_core.FMNIST_CLASSES,
        nearest=gan_core.nearest_training_items, far_measure=gan_core.far_measure,
        far_reference=gan_core.far_reference, real_structure=gan_core.real_structure,
        failures=gan_core.FAILURES, impossible=gan_core.BOX_FIT_IMPOSSIBLE,
        far_examples=gan_core.far_examples(), memorisation_metrics=checkpoints.read_json(structure, "metrics.json"),
    )


# (tab title, function that builds the tab's contents), in the lecture's order
TABS = [
    ("GAN training lab", mount_training_lab),
    ("GAN sampling (DCGAN)", mount_sampling),
    ("Super-resolution", mount_super_resolution),
    ("VAE latent map", mount_vae),
    ("Image-to-image", mount_image_to_image),
    ("GAN architectures", mount_architectures),
    ("GAN vs VAE vs diffusion", mount_families),
    ("Failure gallery", mount_failure_gallery),
    ("Next frame", mount_next_frame),
]


def chosen_tabs() -> list[tuple]:
    """``TABS``, or those named in ``GAN_SUITE_TABS`` (comma-separated titles) in that order: a lecture
    can serve only what it shows, and the first named tab is the one the page opens on."""
    names = settings.tabs()
    if not names:
        return TABS
    known = dict(TABS)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"GAN_SUITE_TABS: unknown tab {unknown[0][:40]!r}; the tabs are: {', '.join(known)}")
    return [(n, known[n]) for n in names]


def missing_notice(title: str, err: Exception) -> None:
    gr.Markdown(f"### {title} is unavailable\n\n{err}\n\nEvery other tab still works.")


@contextlib.contextmanager
def no_unserved_web_app():
    """Gradio builds the whole FastAPI application (about 250 routes: 0.3-0.45 s here) when a
    ``gr.Blocks`` closes and again in ``queue()``, then a third time in ``launch()``, the only
    one it serves. While the suite is put together the first two are skipped: ``demo.app`` is
    then None until ``launch()`` (nothing reads it before), and start-up is that much shorter."""
    create = gr.routes.App.create_app
    gr.routes.App.create_app = staticmethod(lambda *args, **kwargs: None)
    try:
        yield
    finally:
        gr.routes.App.create_app = create


def build_demo() -> gr.Blocks:
    outputs.install()  # image outputs are written to Gradio's cache atomically (see apps/outputs.py)
    with no_unserved_web_app(), gr.Blocks(title="GAN Demo Suite") as demo:
        gr.Markdown(INTRO)
        for title, mount in chosen_tabs():
            with gr.Tab(title):
                try:
                    mount()
                except checkpoints.MissingCheckpointError as err:
                    missing_notice(title, err)
    return inputs.harden(demo)  # every input checked, every handler's surprises logged with an id


def configure_queue(demo: gr.Blocks) -> gr.Blocks:
    """Who runs at once, on how many threads, and how many may wait (see README, "Serving").

    Listeners a tab marks ``concurrency_id="heavy"`` (super-resolution, colourisation) share
    ``settings.heavy_workers()`` slots; listeners with their own group (the training lab) keep
    it; every other listener shares ``settings.workers()`` slots. torch gets
    ``settings.torch_threads()`` intra-op threads (one pool shared by the requests that run
    together). Beyond ``settings.queue_size()`` waiting requests, a new one is turned away at
    once with "busy, try again".
    """
    import torch
    torch.set_num_threads(settings.torch_threads())
    # After every request Gradio summarises up to the last 10 000 requests for its monitoring page (a
    # pandas table grouped by endpoint: 27 ms of CPU per request over the first 1000 requests here;
    # `python -m benchmarks.queue_summary`). The suite does not serve that page: the summary is kept over
    # the last 1000 requests and recomputed once per 1000 (Gradio's own settings; set them to override).
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    for block_fn in demo.fns.values():
        if block_fn.concurrency_id == "heavy":
            block_fn.concurrency_limit = settings.heavy_workers()
        elif block_fn.concurrency_limit != "default":
            continue  # the tab set this listener's limit itself (the training lab's streams and steps)
        else:
            block_fn.concurrency_id, block_fn.concurrency_limit = "quick", settings.workers()
    with no_unserved_web_app():
        demo.queue(max_size=settings.queue_size(), default_concurrency_limit=settings.workers())
    queue, push = demo._queue, demo._queue.push  # Gradio's own text is "Queue is full. Max size is ..."
    # When no request can start, Gradio's dispatcher sleeps 1 ms and looks again: 1000 wake-ups a second
    # on an idle server, and as many scans of the waiting requests when every slot is busy.
    queue.sleep_when_free = settings.queue_poll_ms() / 1000
    queue.progress_update_sleep_when_free = settings.progress_poll_ms() / 1000  # Gradio's: 10 ms, always

    async def push_or_busy(*args, **kwargs):
        accepted, message, status = await push(*args, **kwargs)
        if status == "queue_full":
            message = (f"The server is busy: {settings.queue_size()} requests are already waiting. "
                       "Please try again in a minute.")
        return accepted, message, status

    queue.push = push_or_busy
    return demo


def serve(demo: gr.Blocks, **launch_kwargs) -> None:
    """``demo.launch(...)`` as the suite serves: sessions kept (``GAN_SUITE_SESSIONS``) without a copy of
    every component's configuration each, and the page description sent from memory to each new
    visitor (apps/serving.py). Returns at once; the server runs on its own threads."""
    serving.install()
    demo.launch(prevent_thread_lock=True, state_session_capacity=settings.session_capacity(),
                **serving.launch_kwargs(), **launch_kwargs)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="GAN Demo Suite")
    parser.add_argument("--share", action="store_true", default=settings.share_link(),
                        help="ask Gradio for a public *.gradio.live link (env: GAN_SUITE_SHARE=1)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    memory.limit_arenas(settings.malloc_arenas())  # before the worker threads exist (apps/memory.py)
    demo = configure_queue(build_demo())
    serve(demo, server_name=args.host, server_port=args.port, share=args.share)
    if not gc.isenabled():  # switched off while starting (top of this file)
        gc.freeze()  # what start-up built stays: later collections skip it (less CPU per request too)
        gc.enable()
    memory.start_trimming(settings.trim_seconds())
    # the models load once the page is served (before, the loading slowed the server's own start-up)
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    demo.block_thread()


def warm_up() -> None:
    """Load every model on disk once, in the background: the tabs were built from the checkpoint
    files alone (``checkpoints.require``), so the page is served before the weights are read, and
    the first calls then find the models loaded."""
    log = logging.getLogger("gan_suite")
    t0 = time.perf_counter()
    for name in checkpoints.CHECKPOINTS:
        if checkpoints.checkpoint_path(name).is_dir():
            try:
                checkpoints.load(name)
            except Exception:  # noqa: BLE001 - a broken checkpoint is reported when its tab uses it
                log.exception("warm-up: %s did not load", name)
    log.info("warm-up: models loaded in %.1f s", time.perf_counter() - t0)


if __name__ == "__main__":
    main()
