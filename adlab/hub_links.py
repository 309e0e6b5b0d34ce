"""nbgitpuller links: the one link a student clicks to get the course into their home on a JupyterHub.

adlab builds nothing nbgitpuller already does; `hub_link` writes the same link nbgitpuller's link
generator makes, and refuses, in one sentence saying what to give instead, anything that would make
a link that cannot work (an SSH address, a page of the repository, a path that climbs out).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

__all__ = ["repo_name", "REPO_SCHEMES", "hub_link"]


def repo_name(repo):
    """The folder nbgitpuller pulls into by default: the repository's last path part, without .git."""
    name = repo.rstrip("/").rsplit("/", 1)[-1]
    return name[:-4] if name.endswith(".git") else name


REPO_SCHEMES = ("https", "http", "git", "file")  # what a student's server can clone without a key of its own


def hub_link(hub, repo, branch=None, lesson=None, targetpath=None, app="lab"):
    """The nbgitpuller link for a JupyterHub: pulls `repo` into the student's home, then opens it.

    The same link nbgitpuller's link generator makes: ``HUB/hub/user-redirect/git-pull?repo=…``.
    ``lesson`` is a path inside the repository (a notebook opens in JupyterLab); ``targetpath``
    is the folder in the student's home (the repository's name by default). Anything that would
    make a link that cannot work raises ValueError with one sentence saying what to give instead.
    """
    hub = _hub_address(hub)
    _check_repo(repo)
    if branch is not None:
        _check_branch(branch)
    target = _relative_path(targetpath, "--targetpath", "a folder name in the student's home, e.g. course") \
        if targetpath is not None else repo_name(repo)
    path = target
    if lesson:
        path += "/" + _relative_path(lesson, "--lesson", "a path inside the repository, e.g. 01_evaluation_trace.ipynb")
    params = [("repo", repo), ("urlpath", f"{app}/tree/{path}")]
    if branch:
        params.append(("branch", branch))
    params.append(("targetpath", target))
    return hub + "/hub/user-redirect/git-pull?" + urlencode(params)


def _hub_address(hub):
    """The hub's own address (scheme, host, base path), from anything copied from a browser's address bar."""
    example = "copy it from the browser's address bar, e.g. https://hub.example.edu"
    if not re.match(r"https?://", hub):
        raise ValueError(f"the hub URL must start with http:// or https://, not {hub!r}; {example}.")
    parts = urlsplit(hub)
    if re.search(r"\s", hub) or not parts.hostname:
        raise ValueError(f"the hub URL {hub!r} is not an address (spaces, or no host); {example}.")
    _check_port(parts, f"the hub URL {hub!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"the hub URL {hub!r} holds a user name or password, which every student would see in "
                         f"the link; remove the part before @.")
    # an address copied from a student's browser: keep the hub's own address, before /hub/ or /user/
    return f"{parts.scheme}://{parts.netloc}" + re.sub(r"/(hub|user)(/.*)?$", "", parts.path.rstrip("/"))


def _check_port(parts, what):
    try:
        port = parts.port
    except ValueError:  # out of range, or not a number
        port = 0
    if port == 0:
        raise ValueError(f"{what} has the port {parts.netloc.rsplit(':', 1)[-1]!r}; a port is a number from 1 to "
                         f"65535 (or leave it out).")


def _check_repo(repo):
    """A repository address a student's server can clone: https://, http://, git:// or file://."""
    example = "e.g. https://github.com/you/ad-course"
    if not repo or re.search(r"\s", repo):
        raise ValueError(f"--repo {repo!r} is not a repository address; give the course repository's URL, {example}.")
    parts = urlsplit(repo)
    scp_like = re.match(r"[\w.-]+@([\w.-]+):/?(.*)", repo)  # git@github.com:you/course.git
    if parts.scheme == "ssh" or parts.scheme.startswith("git+") or scp_like:
        https = f"https://{scp_like[1]}/{scp_like[2]}" if scp_like else f"https://{parts.hostname}{parts.path}"
        raise ValueError(f"--repo {repo!r} is an SSH address, which students' servers cannot clone (they hold no "
                         f"key); give its https:// address, e.g. {https}.")
    if parts.scheme not in REPO_SCHEMES or "://" not in repo:
        if repo.startswith(("/", "~")):
            raise ValueError(f"--repo {repo!r} is a path; a repository on the hub's own machine is written "
                             f"file://{repo if repo.startswith('/') else '/ABSOLUTE/PATH'}.")
        if "://" not in repo:
            raise ValueError(f"--repo {repo!r} has no scheme; add https:// (https://{repo}).")
        raise ValueError(f"--repo {repo!r} starts with {parts.scheme}://, which nbgitpuller cannot pull; give an "
                         f"https:// address, {example}.")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"--repo {repo!r} has no host; give the course repository's URL, {example}.")
    _check_port(parts, f"--repo {repo!r}")
    page = re.search(r"/(-/)?(tree|blob)/", parts.path)
    if page:
        base = repo[:repo.index(page.group(0))]
        raise ValueError(f"--repo {repo!r} is a page of the repository, not its address; give {base} (and the branch "
                         f"with --branch).")


def _check_branch(branch):
    """Refuse what git never accepts in a branch name (git check-ref-format), in one sentence."""
    if (not branch or branch.startswith(("-", "/")) or branch.endswith(("/", ".", ".lock")) or ".." in branch
            or "@{" in branch or "//" in branch or re.search(r"[\s~^:?*\[\\\x00-\x1f\x7f]", branch)):
        raise ValueError(f"--branch {branch!r} is not a branch name git accepts; give the branch as git shows it, "
                         f"e.g. main.")


def _relative_path(path, option, example):
    """A path below the course folder, with / between parts: never absolute, never climbing out with .."""
    if "\\" in path:
        raise ValueError(f"{option} {path!r} has a backslash; separate folders with /, {example}.")
    if path.startswith(("/", "~")):
        raise ValueError(f"{option} {path!r} is an absolute path; give {example}.")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{option} {path!r} climbs out with ..; give {example}.")
    if not parts or re.search(r"[\x00-\x1f\x7f]", path):
        raise ValueError(f"{option} {path!r} names no file or folder; give {example}.")
    return "/".join(parts)
