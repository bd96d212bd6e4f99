"""Assemble the servers from Maven Central into a versioned cache folder.

A folder is built under a temporary name and renamed when complete, so an
interrupted download never leaves a half server that looks usable.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path

from pathrank.services.errors import ServiceError
from pathrank.services.tools import maven_executable
from pathrank.services.versions import Versions

GDS_GROUP = "org.neo4j.gds"


def _pom(name: str) -> Path:
    return Path(str(resources.files("pathrank.services") / "maven" / name / "pom.xml"))


def _copy_dependencies(
    pom: Path, out: Path, properties: Mapping[str, str], log: Path, extra: Mapping[str, str]
) -> None:
    args = [
        str(maven_executable()),
        "-B",
        "-q",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    args += [f"-D{k}={v}" for k, v in {**properties, **extra}.items()]
    with log.open("a") as sink:
        sink.write("$ " + " ".join(args) + "\n")
        sink.flush()
        result = subprocess.run(args, stdout=sink, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise ServiceError(f"Maven could not resolve {pom.parent.name} (see {log})")


def assemble_neo4j(dist_root: Path, versions: Versions, log: Path) -> Path:
    """Neo4j + Browser jars in lib/, every org.neo4j.gds jar in plugins/."""
    props = versions.neo4j_properties()
    pom = _pom("neo4j")

    def build(work: Path) -> None:
        _copy_dependencies(pom, work / "lib", props, log, {"excludeGroupIds": GDS_GROUP})
        _copy_dependencies(pom, work / "plugins", props, log, {"includeGroupIds": GDS_GROUP})

    return _assembled(dist_root / versions.neo4j_dist_name, "lib", build)


def assemble_kafka(dist_root: Path, versions: Versions, log: Path) -> Path:
    def build(work: Path) -> None:
        _copy_dependencies(_pom("kafka"), work / "libs", versions.kafka_properties(), log, {})

    return _assembled(dist_root / versions.kafka_dist_name, "libs", build)


def _assembled(target: Path, marker: str, build: Callable[[Path], None]) -> Path:
    """`target`, built once by `build` into a temporary folder renamed into place (complete
    once its `marker` folder exists)."""
    if (target / marker).is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name.split('-')[0]}-", dir=target.parent))
    try:
        build(work)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
