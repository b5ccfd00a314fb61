"""Mirror ``checkpoints/`` on the Hugging Face Hub, verified file by file.

    python -m gan_core.hub push --repo-id OWNER/NAME [--revision BRANCH] [--private]
    python -m gan_core.hub pull --repo-id OWNER/NAME --revision REV
    python -m gan_core.hub verify          # checkpoints/ against its manifest.json

``checkpoints/manifest.json`` lists every file (sha256 and size) and every model (class and
metrics). ``push`` writes it first and uploads it with the files as one commit. ``pull``
downloads a pinned revision with ``snapshot_download`` (through the huggingface_hub cache, so a
revision pulled once also works offline), copies it into a staging folder inside
``checkpoints/``, checks every file against the manifest and only then swaps the model folders
into place: a missing, truncated or altered file is refused and the local copy stays as it was.

``fetch_missing(name)`` is what ``gan_core.checkpoints.load`` calls for a checkpoint that is not on
this machine: it pulls that one model from ``settings.hub_repo()`` at ``settings.hub_revision()``
and returns quietly when it cannot (offline, no network, repo or model not published).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from . import settings
from .registry import CHECKPOINTS, class_path

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
logger = logging.getLogger(__name__)


class ChecksumError(ValueError):
    """Files do not match the manifest (missing, truncated or altered): nothing was installed."""


class Pulled(NamedTuple):
    commit: str           # the Hub commit the files came from (pin it with GAN_SUITE_HUB_REVISION)
    installed: list[str]  # entries of checkpoints/ (model folders) that were replaced


def pull_command(repo_id: str | None = None, revision: str | None = None) -> str:
    """The shell command that installs the published checkpoints (shown in error messages)."""
    repo_id = repo_id or settings.hub_repo() or "OWNER/NAME"
    return f"python -m gan_core.hub pull --repo-id {repo_id} --revision {revision or settings.hub_revision()}"


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------

def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _listed(rel: PurePosixPath) -> bool:
    """Files the manifest covers: not itself, no hidden parts (staging folders), no caches."""
    return str(rel) != MANIFEST and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts)


def _model_entry(folder: Path) -> dict:
    cls = CHECKPOINTS.get(folder.name, (None,))[0]
    metrics = folder / "metrics.json"
    try:
        figures = json.loads(metrics.read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # absent, or being rewritten right now
        figures = {}
    return {"class": class_path(cls) if cls else None, "metrics": figures}


def build_manifest(root: Path) -> dict:
    """``{"format", "models": {name: {class, metrics}}, "files": {path: {sha256, size}}}`` of ``root``."""
    root = Path(root)
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        if _listed(rel):
            try:
                files[str(rel)] = {"sha256": sha256_file(path), "size": path.stat().st_size}
            except FileNotFoundError:
                # another process is rewriting that checkpoint (save_pretrained replaces its
                # files); it refreshes the manifest itself when it is done
                continue
    models = {folder.name: _model_entry(folder)
              for folder in sorted(p for p in root.iterdir() if p.is_dir())
              if _listed(PurePosixPath(folder.name)) and (folder / "config.json").exists()}
    return {"format": MANIFEST_FORMAT, "models": models, "files": files}


def write_manifest(root: Path | str | None = None) -> dict:
    """Write ``root/manifest.json`` (default root: ``checkpoints/``) and return it."""
    root = Path(root or settings.checkpoint_dir())
    if not root.is_dir():
        raise FileNotFoundError(f"{root} does not exist")
    manifest = build_manifest(root)
    _write_json(root / MANIFEST, manifest)
    return manifest


def read_manifest(root: Path | str) -> dict:
    path = Path(root) / MANIFEST
    if not path.exists():
        raise ChecksumError(f"{path} is missing: the files cannot be checked. It is written by "
                            "`python -m gan_core.hub push`.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("files"), dict):
        raise ChecksumError(f"{path} is not a manifest of format {MANIFEST_FORMAT}")
    return manifest


def _safe(rel: str) -> PurePosixPath:
    """A manifest path, refused if it could point outside the folder it describes."""
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ChecksumError(f"unsafe path in manifest: {rel!r}")
    return p


def _entries(manifest: dict, names: list[str] | None) -> dict[str, dict]:
    files = manifest["files"]
    if names is None:
        return files
    return {rel: info for rel, info in files.items() if _safe(rel).parts[0] in names}


def verify(root: Path | str, manifest: dict, names: list[str] | None = None) -> list[str]:
    """Check the files of ``manifest`` (only those of the models ``names``, if given) under ``root``.

    Returns the paths checked; raises ``ChecksumError`` naming every missing, truncated or
    altered file.
    """
    root = Path(root)
    entries = _entries(manifest, names)
    if names is not None:
        absent = [n for n in names if not any(_safe(rel).parts[0] == n for rel in entries)]
        if absent:
            raise ChecksumError(f"not in the manifest: {', '.join(absent)} "
                                f"(it lists {', '.join(sorted(manifest.get('models', {}))) or 'no models'})")
    problems = []
    for rel, info in entries.items():
        path = root / _safe(rel)
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        size = path.stat().st_size
        if size < info["size"]:
            problems.append(f"{rel}: truncated ({size} of {info['size']} bytes)")
        elif size != info["size"]:
            problems.append(f"{rel}: {size} bytes, expected {info['size']}")
        elif (digest := sha256_file(path)) != info["sha256"]:
            problems.append(f"{rel}: checksum mismatch "
                            f"(sha256 {digest[:12]}..., expected {info['sha256'][:12]}...)")
    if problems:
        raise ChecksumError(f"{len(problems)} file(s) do not match the manifest:\n  "
                            + "\n  ".join(problems))
    return sorted(entries)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # one per process: writers may overlap
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Push
# ---------------------------------------------------------------------------------------------

def push(repo_id: str, *, revision: str | None = None, private: bool = False,
         root: Path | str | None = None, token: str | None = None, commit_message: str | None = None):
    """Upload ``checkpoints/`` (every file of a fresh manifest, and the manifest) as one commit.

    Creates the model repo (and the branch ``revision``) when missing. Returns the ``CommitInfo``.
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    root = Path(root or settings.checkpoint_dir())
    # 1. describe exactly what will be uploaded
    manifest = write_manifest(root)
    if not manifest["models"]:
        raise FileNotFoundError(f"nothing to push: {root} holds no model folder (one with a config.json)")
    # 2. the repo, and the branch, must exist before a commit can land on them
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=True if private else None, exist_ok=True)
    if revision and revision != "main":
        api.create_branch(repo_id, branch=revision, repo_type="model", exist_ok=True)
    # 3. one commit: the manifest and the files it lists
    operations = [CommitOperationAdd(path_in_repo=rel, path_or_fileobj=str(root / rel))
                  for rel in [*manifest["files"], MANIFEST]]
    models = ", ".join(manifest["models"])
    return api.create_commit(repo_id, operations=operations, revision=revision, repo_type="model",
                             commit_message=commit_message or f"Upload checkpoints: {models}")


# ---------------------------------------------------------------------------------------------
# Pull
# ---------------------------------------------------------------------------------------------

def pull(repo_id: str, revision: str, *, root: Path | str | None = None, names: list[str] | None = None,
         token: str | None = None) -> Pulled:
    """Install the models ``names`` (default: all) of ``repo_id`` at ``revision`` into ``checkpoints/``.

    Nothing in ``checkpoints/`` changes unless every file of those models matches the manifest.
    """
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    root = Path(root or settings.checkpoint_dir())
    where = f"{repo_id}@{revision}"
    # 1. download (or, offline, find in the huggingface_hub cache) the pinned revision
    patterns = None if names is None else [MANIFEST, *(f"{n}/*" for n in names)]
    offline = constants.HF_HUB_OFFLINE
    try:
        snapshot = Path(snapshot_download(repo_id, revision=revision, repo_type="model", allow_patterns=patterns,
                                          token=token, local_files_only=offline))
    except LocalEntryNotFoundError:
        if not offline:
            raise
        raise LocalEntryNotFoundError(f"{where} is not in the huggingface_hub cache ({constants.HF_HUB_CACHE}) "
                                      "and HF_HUB_OFFLINE=1 forbids downloading it: pull it once with "
                                      "network access.") from None
    try:
        manifest = read_manifest(snapshot)
    except ChecksumError as err:
        raise ChecksumError(f"{where}: {err}") from None
    top = sorted({_safe(rel).parts[0] for rel in manifest["files"]})
    wanted = sorted(names) if names is not None else top

    # 2. copy into a staging folder on the same disk, and check every file there
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pull-", dir=root))
    try:
        for rel in _entries(manifest, wanted):
            src = snapshot / _safe(rel)
            if src.is_file():  # a missing one is reported by verify()
                (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, staging / rel)  # follows the cache's symlinks to the blobs
        try:
            verify(staging, manifest, wanted)
        except ChecksumError as err:
            raise ChecksumError(f"refused {where}: {err}\nNothing was changed in {root}.") from None
        # 3. only now replace the local model folders, one rename each
        for name in wanted:
            _swap(staging / name, root / name, staging / f".old-{name}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if names is None:
        _write_json(root / MANIFEST, manifest)
    return Pulled(commit=snapshot.name, installed=wanted)


def _swap(new: Path, target: Path, backup: Path) -> None:
    """Put ``new`` (a folder or file) at ``target``; the old one goes to ``backup``, and back on failure."""
    had_old = target.exists()
    if had_old:
        os.replace(target, backup)
    try:
        os.replace(new, target)
    except OSError:
        if had_old:
            os.replace(backup, target)
        raise


def fetch_missing(name: str) -> bool:
    """Pull the single model ``name`` from the configured repo; False (and a log line) if it cannot.

    Offline (``HF_HUB_OFFLINE=1``) only the huggingface_hub cache is looked at. Any failure is
    left to the caller, which reports the missing checkpoint with ``pull_command()``.
    """
    repo, revision = settings.hub_repo(), settings.hub_revision()
    if not repo:
        return False
    try:
        pull(repo, revision, names=[name])
    except Exception as err:  # noqa: BLE001 - no network, no repo, bad files: all end as "missing"
        logger.warning("could not fetch %r from %s@%s: %s: %s", name, repo, revision,
                       type(err).__name__, str(err).splitlines()[0] if str(err) else "")
        return False
    logger.info("fetched %r from %s@%s", name, repo, revision)
    return True


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gan_core.hub",
                                     description="Sync checkpoints/ with a Hugging Face Hub model repo.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_push = sub.add_parser("push", help="upload checkpoints/ (with a fresh manifest.json) as one commit")
    p_push.add_argument("--repo-id", default=settings.hub_repo() or None, required=not settings.hub_repo(),
                        help="OWNER/NAME (default: GAN_SUITE_HUB_REPO)")
    p_push.add_argument("--revision", default=None, help="branch to commit to (default: main)")
    p_push.add_argument("--private", action="store_true", help="create the repo as private")
    p_pull = sub.add_parser("pull", help="download a revision, verify it, then install it into checkpoints/")
    p_pull.add_argument("--repo-id", default=settings.hub_repo() or None, required=not settings.hub_repo(),
                        help="OWNER/NAME (default: GAN_SUITE_HUB_REPO)")
    p_pull.add_argument("--revision", default=settings.hub_revision(),
                        help="branch, tag or commit (default: GAN_SUITE_HUB_REVISION or main)")
    p_pull.add_argument("--model", action="append", dest="names", metavar="NAME",
                        help="pull only this model (repeatable; default: all)")
    sub.add_parser("verify", help="check checkpoints/ against its manifest.json")
    args = parser.parse_args(argv)

    root = settings.checkpoint_dir()
    try:
        if args.command == "push":
            info = push(args.repo_id, revision=args.revision, private=args.private)
            print(f"pushed {root} to {info.commit_url}")
        elif args.command == "pull":
            pulled = pull(args.repo_id, args.revision, names=args.names)
            print(f"installed {', '.join(pulled.installed)} from {args.repo_id}@{args.revision} "
                  f"(commit {pulled.commit}) into {root}")
        else:
            checked = verify(root, read_manifest(root))
            print(f"{len(checked)} files in {root} match {MANIFEST}")
    except (ChecksumError, OSError) as err:
        parser.exit(1, f"error: {err}\n")


if __name__ == "__main__":
    main()
