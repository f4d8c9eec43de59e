"""One model's lineage out, as CycloneDX 1.6 and SPDX 3.0.1 JSON, each checked before it is
written: CycloneDX against its JSON schema (bundled with cyclonedx-python-lib, checked offline),
SPDX through the SPDX 3 model bindings (spdx-python-model), which refuse missing required
properties and wrong types, and a read-back of the written document.

Neither format has a "distilled from" relation. CycloneDX gets the teachers as the model's
`pedigree.ancestors`, SPDX as `descendantOf` relationships, and the student is `trainedOn` a
dataset standing for the teacher's outputs; the signal, the share of training and the disclosure
go into namespaced properties (CycloneDX) or the relationship's comment (SPDX). See
docs/registry.md for what is lost.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import text

from distillgov import __version__
from distillgov.errors import DistillgovError
from distillgov.storage.db import reading

NOTE_CYCLONEDX = (
    "CycloneDX has no 'distilled from' relation: teachers are listed as pedigree ancestors, the "
    "way a fork lists its upstream; the distillation signal, the share of training and the "
    "disclosure are distillgov properties that other tools will show but not interpret."
)
NOTE_SPDX = (
    "SPDX 3 has no 'distilled from' relation: the student is descendantOf each teacher and "
    "trainedOn a dataset standing for that teacher's outputs; the signal and share are written "
    "in the relationship's comment, which no tool interprets."
)
_NAMESPACE = uuid.UUID("6f1d2a4e-8c0b-4f7e-9d55-1f7b3c0e2a91")


class ExportError(DistillgovError):
    """A document failed its format's check (a bug in distillgov, never in the user's data)."""


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    owner: str
    licence: str | None
    weights_digest: str | None
    entry: int
    release_date: dt.date | None = None


@dataclass(frozen=True)
class Edge:
    """A student's teacher (a disclosed distillation), or its base model (`base` is the card's
    relation: finetune, adapter, merge, quantized — or "base" when the card gives none)."""

    student: str
    teacher: str
    signal: str
    share: float | None
    disclosure: str
    base: str | None = None


def _bases(c: Any, ids: set[str]) -> list[Edge]:
    """Base-model links of these models and, in turn, of their bases."""
    found: list[Edge] = []
    todo, seen = set(ids), set(ids)
    while todo:
        params = {f"m{i}": m for i, m in enumerate(sorted(todo))}
        marks = ",".join(":" + k for k in params)
        rows = c.execute(
            text(
                f"SELECT model, base, relation FROM reg_base_models WHERE model IN ({marks}) "
                "ORDER BY model, base"
            ),
            params,
        ).all()
        found += [Edge(r[0], r[1], "base_model", None, "", r[2] or "base") for r in rows]
        todo = {r[1] for r in rows} - seen
        seen |= todo
    return found


def _lineage(registry: Any, model: str) -> tuple[dict[str, Node], list[Edge], int]:
    rows = registry.lineage(model, "ancestors")  # also refuses an unknown model
    with reading(registry.engine) as c:
        bases = _bases(c, {model, *(r["model"] for r in rows)})
    ids = {model, *(r["model"] for r in rows), *(b.teacher for b in bases)}
    params = {f"m{i}": m for i, m in enumerate(sorted(ids))}
    marks = ",".join(":" + k for k in params)
    with reading(registry.engine) as c:
        nodes = {
            r[0]: Node(r[0], r[1], r[2], r[3], r[4], int(r[5]), _date(r[6]))
            for r in c.execute(
                text(
                    "SELECT id, name, owner, licence, weights_digest, entry, release_date "
                    f"FROM reg_model_facts WHERE id IN ({marks})"
                ),
                params,
            )
        }
        edges = [
            Edge(r[0], r[1], r[2], r[3], r[4])
            for r in c.execute(
                text(
                    "SELECT e.student, e.teacher, e.signal, e.share, e.disclosure "
                    "FROM reg_edges e WHERE e.student IN (" + marks + ") AND NOT EXISTS "
                    "(SELECT 1 FROM reg_disclosures d WHERE d.supersedes = e.disclosure) "
                    "ORDER BY e.student, e.teacher"
                ),
                params,
            )
        ]
        size = registry.log._size(c)
    return nodes, edges + bases, size


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@cache
def _spdx_licence_ids() -> dict[str, str]:
    """SPDX licence ids by lower case, from the SPDX list bundled with cyclonedx-python-lib."""
    schema = resources.files("cyclonedx.schema._res") / "spdx.SNAPSHOT.schema.json"
    return {i.lower(): i for i in json.loads(schema.read_text())["enum"]}


def _cdx_component(node: Node, edges: list[Edge], nodes: dict[str, Node], seen: set[str]) -> Any:
    component: dict[str, Any] = {"type": "machine-learning-model", "name": node.name}
    if node.id not in seen:  # bom-refs must be unique: a model reached twice is named once
        component["bom-ref"] = f"model:{node.id}"
        seen.add(node.id)
    component["supplier"] = {"name": node.owner}
    if node.licence:
        spdx = _spdx_licence_ids().get(node.licence.lower())
        component["licenses"] = [{"license": {"id": spdx} if spdx else {"name": node.licence}}]
    if node.weights_digest:
        component["hashes"] = [{"alg": "SHA-256", "content": node.weights_digest.split(":")[1]}]
    properties = [{"name": "distillgov:registry-id", "value": node.id}]
    properties.append({"name": "distillgov:log-entry", "value": str(node.entry)})
    component["properties"] = properties
    teachers = [e for e in edges if e.student == node.id]
    if teachers:
        ancestors = []
        for e in teachers:
            a = _cdx_component(nodes[e.teacher], edges, nodes, seen)
            if e.base is not None:  # its starting weights, not a teacher
                a["properties"].append({"name": "distillgov:base-model-relation", "value": e.base})
                ancestors.append(a)
                continue
            a["properties"] += [
                {"name": "distillgov:distillation-signal", "value": e.signal},
                {"name": "distillgov:disclosure", "value": e.disclosure},
            ]
            if e.share is not None:
                a["properties"].append({"name": "distillgov:training-share", "value": str(e.share)})
            ancestors.append(a)
        component["pedigree"] = {"ancestors": ancestors}
    return component


def cyclonedx(registry: Any, model: str, now: dt.datetime | None = None) -> str:
    # The CycloneDX library and its schemas load in 0.2 s: only an export pays for them.
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    nodes, edges, size = _lineage(registry, model)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'cyclonedx/{model}/{size}')}",
        "version": 1,
        "metadata": {
            "timestamp": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [
                    {"type": "application", "name": "distillgov", "version": __version__}
                ]
            },
            "component": _cdx_component(nodes[model], edges, nodes, set()),
            "properties": [
                {"name": "distillgov:log-size", "value": str(size)},
                {"name": "distillgov:note", "value": NOTE_CYCLONEDX},
            ],
        },
    }
    document = json.dumps(bom, indent=2, ensure_ascii=False)
    problem = JsonStrictValidator(SchemaVersion.V1_6).validate_str(document)
    if problem is not None:
        raise ExportError(f"the CycloneDX document does not match its schema: {problem}")
    return document + "\n"


def spdx(registry: Any, model: str, now: dt.datetime | None = None) -> str:
    # The SPDX model bindings load in 0.5 s: only an export pays for them.
    from spdx_python_model import load_data
    from spdx_python_model import v3_0_1 as m

    nodes, edges, size = _lineage(registry, model)
    base = f"https://distillgov.example/spdx/{uuid.uuid5(_NAMESPACE, f'spdx/{model}/{size}')}"
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    agent_id, tool_id = f"{base}/agent/registry", f"{base}/tool/distillgov"
    info = m.CreationInfo(
        specVersion="3.0.1", created=created, createdBy=[agent_id], createdUsing=[tool_id]
    )
    agent = m.Organization(spdxId=agent_id, name="distillgov registry", creationInfo=info)
    tool = m.Tool(spdxId=tool_id, name="distillgov", creationInfo=info)
    suppliers = {
        owner: m.Organization(spdxId=f"{base}/organisation/{owner}", name=owner, creationInfo=info)
        for owner in sorted({n.owner for n in nodes.values()})
    }
    packages = {}
    licences: list[Any] = []
    for n in nodes.values():
        extra: dict[str, Any] = {}
        if n.weights_digest:
            extra["verifiedUsing"] = [
                m.Hash(algorithm=m.HashAlgorithm.sha256, hashValue=n.weights_digest.split(":")[1])
            ]
        if n.release_date is not None:  # only a date the registry holds; none is invented
            extra["releaseTime"] = dt.datetime.combine(n.release_date, dt.time(), dt.UTC)
        packages[n.id] = m.ai_AIPackage(
            spdxId=f"{base}/model/{n.id}",
            name=n.name,
            creationInfo=info,
            software_primaryPurpose=m.software_SoftwarePurpose.model,
            suppliedBy=suppliers[n.owner],
            comment=f"distillgov registry id {n.id}, log entry {n.entry}",
            **extra,
        )
        if n.licence:
            spdx_id = _spdx_licence_ids().get(n.licence.lower())
            # The bindings refuse a comment of None: one is given only for a licence that is
            # not an SPDX id (an SPDX id needs no gloss).
            gloss = {} if spdx_id else {"comment": f"as the model card states it: {n.licence}"}
            expression = m.simplelicensing_LicenseExpression(
                spdxId=f"{base}/licence/{n.id}",
                creationInfo=info,
                simplelicensing_licenseExpression=spdx_id or "LicenseRef-as-stated",
                **gloss,
            )
            licences += [
                expression,
                m.Relationship(
                    spdxId=f"{base}/relationship/licence/{n.id}",
                    creationInfo=info,
                    from_=packages[n.id],
                    relationshipType=m.RelationshipType.hasDeclaredLicense,
                    to=[expression],
                ),
            ]
    elements: list[Any] = [agent, tool, *suppliers.values(), *packages.values(), *licences]
    for i, e in enumerate(edges):
        if e.base is not None:
            elements.append(
                m.Relationship(
                    spdxId=f"{base}/relationship/{i}/base",
                    creationInfo=info,
                    from_=packages[e.student],
                    relationshipType=m.RelationshipType.descendantOf,
                    to=[packages[e.teacher]],
                    comment=f"base model ({e.base}): its starting weights, not a teacher",
                )
            )
            continue
        share = "" if e.share is None else f", {e.share:.0%} of training"
        how = f"distilled ({e.signal}{share}); disclosure {e.disclosure}"
        outputs = m.dataset_DatasetPackage(
            spdxId=f"{base}/dataset/{i}",
            name=f"outputs of {nodes[e.teacher].name} ({e.signal})",
            creationInfo=info,
            software_primaryPurpose=m.software_SoftwarePurpose.data,
            dataset_datasetType=[m.dataset_DatasetType.other],
            originatedBy=[agent_id],
        )
        elements += [
            outputs,
            m.Relationship(
                spdxId=f"{base}/relationship/{i}/descendant",
                creationInfo=info,
                from_=packages[e.student],
                relationshipType=m.RelationshipType.descendantOf,
                to=[packages[e.teacher]],
                comment=how,
            ),
            m.Relationship(
                spdxId=f"{base}/relationship/{i}/trained",
                creationInfo=info,
                from_=packages[e.student],
                relationshipType=m.RelationshipType.trainedOn,
                to=[outputs],
                comment=how,
            ),
        ]
    document = m.SpdxDocument(
        spdxId=f"{base}/document",
        name=f"Distillation lineage of {nodes[model].name}",
        creationInfo=info,
        rootElement=[packages[model]],
        element=elements,
        profileConformance=[
            m.ProfileIdentifierType.core,
            m.ProfileIdentifierType.software,
            m.ProfileIdentifierType.ai,
            m.ProfileIdentifierType.dataset,
        ],
        comment=NOTE_SPDX,
    )
    objects = m.SHACLObjectSet()
    for obj in (document, *elements):
        objects.add(obj)
    buffer = io.BytesIO()
    try:
        m.JSONLDSerializer().write(objects, buffer, indent=2)
        written = buffer.getvalue().decode()
        load_data(json.loads(written))
    except (ValueError, TypeError) as exc:
        raise ExportError(f"the SPDX document does not check: {exc}") from None
    return written + "\n"
