"""deploy/: the Zero to JupyterHub values, the Littlest JupyterHub recipe, and docs/scaling.md's blocks.

Neither Kubernetes nor TLJH runs here; what can be checked without them is:

- every key path of deploy/z2jh/*.yaml is one the chart's configuration reference documents: its
  own values.schema.yaml (vendored in tests/data/, chart version in its header) is walked key by
  key, so a misspelt key fails, and the values are validated against it with jsonschema;
- every hub.config Class.setting is a configurable trait of that JupyterHub, Spawner or
  authenticator class, and the values load into it; the authenticator class resolves;
- hub.extraConfig's Python loads with JupyterHub's own loader (traitlets' PyFileConfigLoader, with
  `get_config`, the way the chart's jupyterhub_config.py runs it), every `c.X.y` it sets is such a
  trait, and its login hook puts LMS instructors, and only them, in the instructors group;
- the instructor role's scopes are JupyterHub's; the memory guarantee and limit cover the peaks
  that benchmarks/classroom_capacity.py measured (tests/data/classroom_capacity.json);
- the image: repo2docker's Dockerfile for this repository with the appendix installs nbgitpuller, and
  adlab not editable from $HOME (where the students' home volumes hide the repository);
- deploy/tljh/install.sh is valid bash and sets only keys TLJH's schema (vendored) or the
  authenticator knows, with the same memory limit as Kubernetes;
- docs/scaling.md: each ```yaml block is chart values checked as above, each ```bash block runs.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from classroom_support import require

ROOT = Path(__file__).resolve().parents[1]
Z2JH = ROOT / "deploy" / "z2jh"
TLJH_SCRIPT = ROOT / "deploy" / "tljh" / "install.sh"
SCALING = ROOT / "docs" / "scaling.md"
DATA = Path(__file__).resolve().parent / "data"
BIN = Path(sys.executable).parent
VALUES = sorted(Z2JH.glob("*.yaml"))

jsonschema = pytest.importorskip("jsonschema")


def chart_schema():
    return yaml.safe_load((DATA / "z2jh-values.schema.yaml").read_text())


def values(path):
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name} is not a mapping of chart values"
    return data


# -- every key path is documented ------------------------------------------------------------------


def undocumented_keys(data, schema, path=""):
    """Key paths of data that the schema does not document: not among a node's properties or pattern
    properties, where the node does not say that any key goes (additionalProperties)."""
    found = []
    if isinstance(data, list):
        items = schema.get("items")
        for k, item in enumerate(data):
            if isinstance(items, dict):
                found += undocumented_keys(item, items, f"{path}[{k}]")
        return found
    if not isinstance(data, dict):
        return found
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    free = schema.get("additionalProperties")
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key in properties:
            found += undocumented_keys(value, properties[key], where)
        elif any(re.search(pattern, key) for pattern in patterns):
            pattern = next(p for p in patterns if re.search(p, key))
            found += undocumented_keys(value, patterns[pattern], where)
        elif isinstance(free, dict):
            found += undocumented_keys(value, free, where)
        elif free is True or (free is None and not properties and not patterns):
            continue  # a free-form mapping (extraEnv, loadRoles, hub.config.CLASS …): checked below
        else:
            found.append(where)
    return found


def schema_errors(data):
    """jsonschema's errors for these values; `required` is skipped, since the chart's values.yaml fills it in."""
    validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"required": lambda *args: iter(())})
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator(chart_schema()).iter_errors(data)]


@pytest.mark.parametrize("path", VALUES, ids=lambda p: p.name)
def test_every_key_is_in_the_charts_configuration_reference(path):
    data = values(path)
    assert undocumented_keys(data, chart_schema()) == []
    assert schema_errors(data) == []


def test_a_misspelt_key_fails_the_check():
    """The check above can fail: a typo at any depth, or a value of the wrong type, is reported."""
    config = values(Z2JH / "config.yaml")
    for path in (("singleuser", "memroy"), ("singleuser", "memory", "limt"), ("cull", "timout"), ("hubb",),
                 ("scheduling", "userPlaceholder", "replica")):
        mutated = copy.deepcopy(config)
        node = mutated
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = "1"
        assert undocumented_keys(mutated, chart_schema()) == [".".join(path)]
    mutated = copy.deepcopy(config)
    mutated["cull"]["timeout"] = "an hour"
    assert any(error.startswith("cull.timeout") for error in schema_errors(mutated))
    mutated = copy.deepcopy(config)
    mutated["hub"]["config"]["lti13Authenticator"] = {}  # classes are capitalised
    assert undocumented_keys(mutated, chart_schema()) == ["hub.config.lti13Authenticator"]


# -- hub.config and hub.extraConfig are JupyterHub's settings ------------------------------------


def configurable(section):
    """The class a config section names: JupyterHub's own, or an authenticator the chart's hub image has."""
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.proxy import ConfigurableHTTPProxy
    from jupyterhub.spawner import Spawner

    classes = {"JupyterHub": JupyterHub, "Authenticator": Authenticator, "Spawner": Spawner,
               "ConfigurableHTTPProxy": ConfigurableHTTPProxy}
    if section == "LTI13Authenticator":
        require(_importable("ltiauthenticator"), "jupyterhub-ltiauthenticator (pip install jupyterhub-ltiauthenticator)")
        from ltiauthenticator.lti13.auth import LTI13Authenticator

        return LTI13Authenticator
    if section == "GitHubOAuthenticator":
        require(_importable("oauthenticator"), "oauthenticator (pip install oauthenticator)")
        from oauthenticator.github import GitHubOAuthenticator

        return GitHubOAuthenticator
    assert section in classes, f"config section {section} is not a class these tests know: add it to configurable()"
    return classes[section]


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


def unknown_traits(config):
    """Class.setting pairs of a traitlets config (a mapping) that are not configurable traits of the class."""
    unknown = []
    for section, settings in config.items():
        cls = configurable(section)
        known = set(cls.class_trait_names(config=True))
        unknown += [f"{section}.{name}" for name in settings if name not in known]
    return unknown


def load_into_classes(config):
    """Build each configured class with the settings, so traitlets validates every value (and resolves classes)."""
    from traitlets.config import Config

    loaded = {}
    for section, settings in config.items():
        cls = configurable(section)
        instance = cls(config=Config({section: dict(settings)}))
        for name, value in settings.items():
            getattr(instance, name)  # validates the configured value
        loaded[section] = instance
    return loaded


@pytest.mark.parametrize("path", VALUES, ids=lambda p: p.name)
def test_hub_config_settings_are_real_traits(path):
    hub_config = values(path)["hub"]["config"]
    assert unknown_traits(hub_config) == []
    loaded = load_into_classes(hub_config)
    from jupyterhub.auth import Authenticator

    assert issubclass(loaded["JupyterHub"].authenticator_class, Authenticator)


def test_a_misspelt_setting_fails_the_check():
    assert unknown_traits({"LTI13Authenticator": {"client_ids": ["x"]}}) == ["LTI13Authenticator.client_ids"]
    assert unknown_traits({"Authenticator": {"allowall": True}}) == ["Authenticator.allowall"]


def extra_config(tmp_path):
    """hub.extraConfig's snippets, loaded as the chart's jupyterhub_config.py runs them (after c = get_config())."""
    from traitlets.config.loader import PyFileConfigLoader

    snippets = values(Z2JH / "config.yaml")["hub"]["extraConfig"]
    path = tmp_path / "jupyterhub_config.py"
    path.write_text("c = get_config()  # noqa\n" + "\n".join(snippets[name] for name in sorted(snippets)))
    return PyFileConfigLoader(path.name, path=str(tmp_path)).load_config()


def test_extra_config_loads_with_jupyterhubs_loader(tmp_path):
    config = extra_config(tmp_path)
    assert set(config) >= {"Authenticator", "JupyterHub"}
    assert unknown_traits(config) == []
    load_into_classes(config)


def test_lms_instructors_join_the_instructors_group(tmp_path):
    hook = extra_config(tmp_path).Authenticator.post_auth_hook
    claim = "https://purl.imsglobal.org/spec/lti/claim/roles"
    membership = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

    def groups(auth_state):
        return hook(None, None, {"name": "someone", "auth_state": auth_state}).get("groups")

    assert groups({claim: [membership + "Instructor"]}) == ["instructors"]
    assert groups({claim: ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]}) \
        == ["instructors"]
    assert groups({claim: [membership + "Learner"]}) == []
    assert groups({claim: []}) == []
    assert groups({"sub": "1234"}) is None  # not an LTI login: groups untouched
    assert groups(None) is None


def test_instructor_role_has_jupyterhubs_scopes():
    from jupyterhub.scopes import scope_definitions

    roles = values(Z2JH / "config.yaml")["hub"]["loadRoles"]
    assert roles["instructor"]["groups"] == ["instructors"]
    for role in roles.values():
        for scope in role["scopes"]:
            assert scope.split("!")[0] in scope_definitions, scope


# -- memory from the measured peak ----------------------------------------------------------------


def mib(text):
    from jupyterhub.traitlets import ByteSpecification

    return ByteSpecification().validate(None, text) / 2 ** 20


def measured():
    """benchmarks/classroom_capacity.py's figures: the largest kernel peak and server RSS of any lesson."""
    report = json.loads((DATA / "classroom_capacity.json").read_text())
    runs = [run for lesson in report["alone"].values() for run in lesson.values()]
    return max(run["peak_mib"] for run in runs), max(run["server_mib"] for run in runs)


def test_memory_guarantee_and_limit_cover_the_measured_peak():
    memory = values(Z2JH / "config.yaml")["singleuser"]["memory"]
    kernel, server = measured()
    assert mib(memory["guarantee"]) >= server + kernel  # a student running one lesson always fits
    assert mib(memory["limit"]) >= server + 3 * kernel  # three lessons' kernels open at once
    assert mib(memory["limit"]) <= 2 * mib(memory["guarantee"])  # so a node is not overcommitted far
    assert tljh_settings()["limits.memory"] == memory["limit"]


# -- the image -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_dockerfile():
    """The Dockerfile repo2docker writes for the students' image (README.md's command), without building it."""
    command = shutil.which("repo2docker", path=str(BIN)) or shutil.which("repo2docker")
    require(command, "repo2docker (pip install jupyter-repo2docker)")
    appendix = (Z2JH / "image-appendix.Dockerfile").read_text()
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    result = subprocess.run([command, "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan",
                             "--appendix", appendix, str(ROOT)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_image_is_binders_with_nbgitpuller(image_dockerfile):
    binder = image_dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    puller = image_dockerfile.index('${NB_PYTHON_PREFIX}/bin/python -m pip install --no-cache-dir "nbgitpuller>=1.2"')
    assert binder < image_dockerfile.index("binder/postBuild") < puller
    assert values(Z2JH / "config.yaml")["singleuser"]["image"]["name"].endswith("/adlab-course")


def editable_installs(dockerfile):
    """The editable (-e, --editable) pip requirements of the image: its RUN lines and binder/requirements.txt."""
    lines = [line.split("#")[0] for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    lines += [line for line in dockerfile.splitlines() if line.startswith("RUN ") and "pip install" in line]
    return [line.strip() for line in lines if re.search(r"(^|\s)(-e|--editable)(\s|=|$)", line)]


def test_image_works_with_a_home_volume_over_the_repository(image_dockerfile):
    """The chart mounts each student's home volume over $HOME, where repo2docker copies the repository:
    an editable install would import adlab from that hidden copy, and fail in every student's server."""
    assert re.search(r"^ARG REPO_DIR=\$\{HOME\}$", image_dockerfile, re.MULTILINE)  # the repository is in $HOME
    assert not editable_installs(image_dockerfile), "adlab must be installed into the image, not editable from $HOME"
    requirements = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert ".[course]" in [line.split("#")[0].strip() for line in requirements]  # built: setup.py adds the lessons


# -- The Littlest JupyterHub -----------------------------------------------------------------------


def tljh_commands():
    """(verb, key, value) of each tljh-config line of install.sh."""
    commands = []
    for line in TLJH_SCRIPT.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["tljh-config"] and words[1] in ("set", "add-item"):
            commands.append((words[1], words[2], words[3]))
    return commands


def tljh_settings():
    return {key: value for verb, key, value in tljh_commands() if verb == "set"}


def tljh_schema_node(key):
    """The TLJH schema node of a dotted key, or None where the schema does not document it."""
    schema = yaml.safe_load((DATA / "tljh-config.schema.yaml").read_text())
    node = schema
    for part in key.split("."):
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
        properties = {k: v for k, v in node.get("properties", {}).items() if k != "additionalProperties"}
        if part not in properties:
            return None
        node = properties[part]
    return schema["definitions"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node


def test_tljh_recipe_is_bash_and_sets_known_keys():
    assert subprocess.run(["bash", "-n", str(TLJH_SCRIPT)]).returncode == 0
    commands = tljh_commands()
    assert commands, "install.sh runs no tljh-config command"
    authenticator = {}
    for verb, key, value in commands:
        if key == "auth.type":
            module, name = value.rsplit(".", 1)
            from jupyterhub.auth import Authenticator

            require(_importable(module.split(".")[0]), module)
            assert issubclass(getattr(__import__(module, fromlist=[name]), name), Authenticator)
        elif key.startswith("auth."):
            _, section, trait = key.split(".")
            authenticator.setdefault(section, {})[trait] = value
        else:
            node = tljh_schema_node(key)
            assert node is not None, f"tljh-config key {key} is not in TLJH's schema"
            assert (node.get("type") == "array") == (verb == "add-item"), key
    assert unknown_traits(authenticator) == []
    assert tljh_schema_node("limits.memroy") is None and tljh_schema_node("services.cull.timeout") is not None
    assert "adlab[classroom] @" in TLJH_SCRIPT.read_text()


# -- docs/scaling.md -------------------------------------------------------------------------------


def scaling_blocks():
    return re.findall(r"```(\w*)\n(.*?)```", SCALING.read_text(), re.S)


def test_scaling_yaml_blocks_are_chart_values():
    blocks = [code for language, code in scaling_blocks() if language == "yaml"]
    assert blocks, "docs/scaling.md shows the chart values it recommends"
    for code in blocks:
        data = yaml.safe_load(code)
        assert undocumented_keys(data, chart_schema()) == [] and schema_errors(data) == []
        memory = data.get("singleuser", {}).get("memory")
        if memory:
            assert memory == values(Z2JH / "config.yaml")["singleuser"]["memory"]


def test_scaling_has_only_yaml_and_bash_blocks():
    assert {language for language, _ in scaling_blocks()} <= {"yaml", "bash"}


@pytest.mark.hub
def test_scaling_bash_blocks_run(tmp_path):
    """The quick capacity run starts a real hub: marked `hub`."""
    require(shutil.which("configurable-http-proxy"), "configurable-http-proxy (npm install -g configurable-http-proxy)")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for language, code in scaling_blocks():
        if language == "bash":
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, f"{code}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            assert "| lesson |" in result.stdout


# -- each lesson's kernel fits the memory each student is given (its peak: tests/test_course.py) ----


def test_checking_an_exercise_loads_neither_sympy_nor_matplotlib():
    """The exercise bank imports adlab.symbolic in every lesson: SymPy (~35 MiB) must wait until used."""
    code = ("import sys, adlab, adlab.symbolic, adlab.cost, adlab.numeric\n"
            "from adlab.exercises import bank\n"
            "bank.all_exercises()\n"
            "print(sorted(m for m in ('sympy', 'matplotlib', 'ipywidgets', 'graphviz') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_scaling_tables_are_the_measured_figures():
    """docs/scaling.md's tables are the ones benchmarks/classroom_capacity.py prints for the figures kept in tests/data."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import classroom_capacity
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    report = json.loads((DATA / "classroom_capacity.json").read_text())
    text = SCALING.read_text()
    for line in classroom_capacity.markdown(report, 30).splitlines():
        assert line in text, f"docs/scaling.md lacks the measured line {line!r}"
