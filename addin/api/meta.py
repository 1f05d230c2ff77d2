"""Liveness, readiness and the feature catalogue."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ..features import summarize
from ..models.runner import Runner

bp = Blueprint("meta", __name__)

FEATURE_OPTIONS = {summarize.FEATURE: summarize.OPTIONS}


def _runner() -> Runner:
    runner: Runner = current_app.extensions["addin.runner"]
    return runner


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: every feature has at least one provider that can serve it."""
    selector = _runner().selector
    features = {}
    for feature in FEATURE_OPTIONS:
        candidates = selector.candidates(feature)
        features[feature] = {"ready": bool(candidates),
                             "providers": [p.entry.id for p in candidates]}
    ready = all(f["ready"] for f in features.values())
    response = jsonify(status="ready" if ready else "not ready", features=features)
    response.status_code = 200 if ready else 503
    return response


@bp.get("/api/v1/features")
def features() -> Response:
    """The features, their options, and the model that serves each now."""
    selector = _runner().selector
    items = []
    for feature, options in FEATURE_OPTIONS.items():
        candidates = selector.candidates(feature)
        primary = candidates[0].entry if candidates else None
        items.append({
            "name": feature,
            "options": options,
            "provider": primary.id if primary else None,
            "model": primary.model if primary else None,
            "fallbacks": [p.entry.id for p in candidates[1:]],
        })
    return jsonify(features=items)
