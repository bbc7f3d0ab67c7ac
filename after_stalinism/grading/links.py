"""nbgitpuller links: one click takes a student to an exercise set on the class's JupyterHub.

A link ``HUB/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...`` makes the hub's
nbgitpuller extension clone the repository into the student's home folder (or merge the
latest changes into their copy, keeping their work) and open the set in JupyterLab. The repository,
its branch and the hub come from ``_config.yml`` (``repository.url``, ``repository.branch``,
``launch_buttons.jupyterhub_url``), or from the command's options.

For a graded class, make the links from the student edition (``student-edition --repo URL`` writes
its ``_config.yml``), never from the course repository, which holds ``instructor/``: the links
clone whatever repository they name. One link per set released in ``exercises/`` beside the config.

Usage::

    links = nbgitpuller_links(Path("_config.yml"), hub="https://hub.example.edu")
    # {"00_data_warmup": "https://hub.example.edu/hub/user-redirect/git-pull?repo=..."}
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlparse

import yaml

PLACEHOLDER_HOSTS = ("your-org",)


class LinksError(ValueError):
    """Not enough configuration to make the links."""


def nbgitpuller_link(hub: str, repo: str, branch: str, path: str) -> str:
    """The link that opens ``path`` (relative to the repository) in JupyterLab on ``hub``."""
    folder = urlparse(repo).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    urlpath = f"lab/tree/{folder}/{path}"
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
            f"&branch={quote(branch, safe='')}&urlpath={quote(urlpath, safe='')}")


def nbgitpuller_links(config: Path, hub: str | None = None, repo: str | None = None,
                      branch: str | None = None) -> dict[str, str]:
    """A link per exercise set (``instructor/exercises/*.ipynb`` beside ``config``), by set name."""
    config = Path(config)
    settings = yaml.safe_load(config.read_text()) or {}
    repository = settings.get("repository") or {}
    hub = hub or (settings.get("launch_buttons") or {}).get("jupyterhub_url") or ""
    repo = repo or repository.get("url") or ""
    branch = branch or repository.get("branch") or "main"
    if not hub:
        raise LinksError(f"no JupyterHub address: set launch_buttons.jupyterhub_url in {config} or pass --hub URL")
    if not repo:
        raise LinksError(f"no repository: set repository.url in {config} or pass --repo URL")
    for name in ("hub", "repo"):
        value = hub if name == "hub" else repo
        if urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc:
            raise LinksError(f"{name} {value!r} is not an http(s) address")
    sets = sorted(p.stem for p in (config.parent / "exercises").glob("*.ipynb"))
    return {s: nbgitpuller_link(hub, repo, branch, f"exercises/{s}.ipynb") for s in sets}


def holds_solutions(config: Path) -> bool:
    """Is ``config`` the instructor's course repository (with ``instructor/``), not a student edition?
    Links to it would clone the solutions and hidden tests into every student's home."""
    return (Path(config).parent / "instructor").is_dir()


def is_placeholder(repo: str) -> bool:
    """Whether ``repo`` (an address, or a link made from one) still names the template's
    placeholder (``PLACEHOLDER_HOSTS``), so that the links would not work."""
    return any(marker in repo for marker in PLACEHOLDER_HOSTS)
