"""Liveness, readiness and the feature catalogue."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ..errors import AddinError
from ..features import analyze, summarize
from ..models.runner import Runner

bp = Blueprint("meta", __name__)

FEATURE_OPTIONS = {summarize.FEATURE: summarize.OPTIONS, analyze.FEATURE: analyze.OPTIONS}


def _runner() -> Runner:
    runner: Runner = current_app.extensions["addin.runner"]
    return runner


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: the store answers, and every feature has a provider whose circuit is not
    open. Lists each provider's circuit state."""
    runner = _runner()
    store_ok = _store_reachable()
    features = {}
    for feature in FEATURE_OPTIONS:
        try:
            chain = [p.entry.id for p in runner.selector.candidates(feature).providers]
        except AddinError:
            chain = []
        usable = [pid for pid in chain
                  if runner.breakers.snapshot(pid)["state"] != "open"]
        features[feature] = {"ready": bool(usable), "providers": chain}
    circuits = {pid: runner.breakers.snapshot(pid) for pid in runner.selector.all_providers()}
    ready = store_ok and all(f["ready"] for f in features.values())
    response = jsonify(status="ready" if ready else "not ready", store=store_ok,
                       features=features, circuits=circuits)
    response.status_code = 200 if ready else 503
    return response


def _store_reachable() -> bool:
    store = current_app.extensions.get("addin.store")
    if store is None:
        return True
    try:
        store.revision()
    except Exception:  # any database error means "not ready", never a crash
        return False
    return True


@bp.get("/api/v1/features")
def features() -> Response:
    """The features, their options, and the model that serves each now."""
    selector = _runner().selector
    items = []
    for feature, options in FEATURE_OPTIONS.items():
        try:
            chain = list(selector.candidates(feature).providers)
        except AddinError:
            chain = []
        primary = chain[0].entry if chain else None
        items.append({
            "name": feature,
            "options": options,
            "provider": primary.id if primary else None,
            "model": primary.model if primary else None,
            "fallbacks": [p.entry.id for p in chain[1:]],
        })
    return jsonify(features=items)
