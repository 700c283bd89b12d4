"""The merchandiser's pages: store overview, shelf detail, shopper journey, cameras; and login.

Pages call the same services as the API and hand plain values to Jinja2 templates; charts are plotly specs
(`shelfsight.dashboard.pages.charts`) drawn by the locally served plotly.min.js.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from shelfsight.dashboard.deps import (
    TOKEN_COOKIE,
    ClockDep,
    SettingsDep,
    StoreDep,
    invalid_query,
    presented_token,
    window_of,
)
from shelfsight.dashboard.pages import charts
from shelfsight.dashboard.pages.static import PLOTLY_JS_URL
from shelfsight.dashboard.schemas.times import TIME_HELP, QueryTime
from shelfsight.dashboard.services.cameras import camera_reports
from shelfsight.dashboard.services.catalog import unknown_target
from shelfsight.dashboard.services.funnel import shelf_funnel
from shelfsight.dashboard.services.labels import PageLabels, store_labels
from shelfsight.dashboard.services.live import dwelling_now
from shelfsight.dashboard.services.metrics import figures as figures_of
from shelfsight.dashboard.services.shelf_activity import RECENT_EVENTS, recent_shelf_events
from shelfsight.dashboard.services.shelves import shelf_series, summarize_shelves
from shelfsight.dashboard.services.shoppers import shopper_journey
from shelfsight.dashboard.services.tokens import SESSION_S, Scope, authorize, end_session, start_session
from shelfsight.dashboard.services.windows import Granularity, TimeWindow
from shelfsight.dashboard.storage.base import RollupCounts, Store
from shelfsight.dashboard.tags import Tag

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["utc"] = charts.utc_text
TEMPLATES.env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.0f} %"
TEMPLATES.env.filters["secs"] = lambda v: "–" if v is None else f"{v:.1f} s"
DAY_SERIES_AFTER_S = 3 * 86_400
"""Windows longer than this are shown per day, shorter ones per hour."""

PageTime = Annotated[QueryTime | None, Query(description=TIME_HELP)]
"""A page's ``since`` / ``until``: the API's type (epoch seconds or ISO 8601, bounded), so the same link works on
both and ``inf`` or ``1e300`` is a 422, not a 500; the rule between them is `window_of`'s, like the API's."""


def require_page_token(request: Request, store: StoreDep, settings: SettingsDep, clock: ClockDep) -> None:
    """Send a visitor without a valid read token (cookie or header) to the login page."""
    if not settings.pages_require_token:
        return
    secret = presented_token(request)
    if secret is None or authorize(store, secret, Scope.READ, now=clock()) is None:
        target = "/login?next=" + quote(request.url.path)
        raise HTTPException(status.HTTP_303_SEE_OTHER, "login required", headers={"Location": target})


router = APIRouter(tags=[Tag.PAGES], include_in_schema=False)
protected = APIRouter(tags=[Tag.PAGES], include_in_schema=False, dependencies=[Depends(require_page_token)])


def page_window(store: Store, store_id: str, since: float | None, until: float | None, now: float) -> TimeWindow:
    """The asked window, or the last 24 h; if those hold no data, the 24 h up to the store's latest data."""
    window = window_of(since, until, now)
    if since is not None or until is not None:
        return window
    latest = max((t.last_ts for t in store.targets(store_id)), default=None)
    if latest is None or latest >= window.since:
        return window
    end = (latest // 3600 + 1) * 3600
    return TimeWindow(end - 86_400, end)


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("plotly_js", PLOTLY_JS_URL)
    context.setdefault("labels", PageLabels())  # pages without a store: ids and UTC
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def not_found(request: Request, store: Store, store_id: str, shelf_ids: list[str] | None = None) -> HTMLResponse | None:
    """A 404 page naming the unknown store or shelf (like the API's 404), or None when both are known."""
    message = unknown_target(store, store_id, shelf_ids or [])
    if message is None:
        return None
    return render(request, "not_found.html", status_code=404, message=message, stores=store.stores(), store_id=None)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", error: str = "") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=error)


@router.post("/login")
async def login(request: Request, store: StoreDep, clock: ClockDep) -> Response:
    """Check the token from the form and start a read-scope session kept in an HttpOnly cookie.

    The cookie never holds the token that was pasted (it may be an admin token): it holds a new session that
    expires after `SESSION_S` and that signing out revokes. It is ``Secure`` when the page was served over HTTPS
    (behind a TLS proxy, run uvicorn with ``--proxy-headers`` so the scheme is known).
    """
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    secret = (form.get("token") or [""])[0].strip()
    target = _safe_next((form.get("next") or ["/"])[0])
    now = clock()
    record = authorize(store, secret, Scope.READ, now=now) if secret else None
    if record is None:
        return RedirectResponse(f"/login?error=unknown+token&next={quote(target)}", status.HTTP_303_SEE_OTHER)
    session = start_session(store, record, now=now)
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        TOKEN_COOKIE,
        session.secret,
        httponly=True,
        samesite="strict",
        max_age=SESSION_S,
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, store: StoreDep, clock: ClockDep) -> Response:
    """Revoke the browser's session (a copied cookie stops working too) and forget the cookie."""
    secret = request.cookies.get(TOKEN_COOKIE)
    if secret:
        end_session(store, secret, now=clock())
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@protected.get("/", response_class=HTMLResponse)
def home(request: Request, store: StoreDep) -> Response:
    stores = store.stores()
    if len(stores) >= 1:
        return RedirectResponse(f"/stores/{quote(stores[0])}", status.HTTP_303_SEE_OTHER)
    return render(request, "empty.html", stores=stores)


@protected.get("/stores/{store_id}", response_class=HTMLResponse)
def overview(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    store_id: str,
    since: PageTime = None,
    until: PageTime = None,
) -> HTMLResponse:
    if missing := not_found(request, store, store_id):
        return missing
    now = clock()
    window = page_window(store, store_id, since, until, now)
    summaries = summarize_shelves(store, store_id=store_id, window=window, now=now)
    total = sum((s.counts for s in summaries), RollupCounts())
    live = dwelling_now(store, store_id=store_id, now=now, max_open_s=settings.open_visit_max_s)
    labels = store_labels(store, store_id)
    return render(
        request,
        "overview.html",
        store_id=store_id,
        stores=store.stores(),
        window=window,
        summaries=summaries,
        total=figures_of(total),
        live=live,
        labels=labels,
        charts=[charts.shelf_ranking(summaries, labels)],
    )


@protected.get("/stores/{store_id}/shelves/{shelf_id}", response_class=HTMLResponse)
def shelf_page(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    store_id: str,
    shelf_id: str,
    since: PageTime = None,
    until: PageTime = None,
    granularity: Granularity | None = None,
) -> HTMLResponse:
    if missing := not_found(request, store, store_id, [shelf_id]):
        return missing
    now = clock()
    window = page_window(store, store_id, since, until, now)
    summary = summarize_shelves(store, store_id=store_id, window=window, shelf_ids=[shelf_id], now=now)[0]
    if granularity is None:
        long = window.until - window.since > DAY_SERIES_AFTER_S
        granularity = Granularity.DAY if long else Granularity.HOUR
    labels = store_labels(store, store_id)
    try:  # days start at midnight in the store's time zone
        points = shelf_series(
            store,
            store_id=store_id,
            shelf_id=shelf_id,
            window=window,
            granularity=granularity,
            tz=labels.timezone,
            now=now,
        )
    except ValueError as exc:  # too many buckets for the window: the same 422 as the API's series
        raise invalid_query("since", since, str(exc)) from exc
    gaps = [p for p in points if p.coverage is not None and p.coverage < 1.0]
    recent = recent_shelf_events(store, store_id=store_id, shelf_id=shelf_id, window=window)
    return render(
        request,
        "shelf.html",
        store_id=store_id,
        stores=store.stores(),
        window=window,
        summary=summary,
        granularity=granularity.value,
        gaps=gaps,
        labels=labels,
        recent=recent,
        recent_limit=RECENT_EVENTS,
        charts=[
            charts.shelf_timeline(points, labels),
            charts.funnel(
                shelf_funnel(
                    store, store_id=store_id, shelf_id=shelf_id, since=window.since, until=min(window.until, now)
                )
            ),
            charts.dwell_histogram(summary.counts.dwell_hist),
        ],
    )


@protected.get("/stores/{store_id}/shoppers/{shopper_id}", response_class=HTMLResponse)
def shopper_page(request: Request, store: StoreDep, store_id: str, shopper_id: str) -> HTMLResponse:
    if missing := not_found(request, store, store_id):
        return missing
    journey = shopper_journey(store, store_id, shopper_id)
    labels = store_labels(store, store_id)
    return render(
        request,
        "shopper.html",
        store_id=store_id,
        stores=store.stores(),
        journey=journey,
        labels=labels,
        charts=[charts.journey_timeline(journey, labels)] if journey.visits else [],
    )


@protected.get("/stores/{store_id}/cameras", response_class=HTMLResponse)
def cameras_page(
    request: Request,
    store: StoreDep,
    clock: ClockDep,
    store_id: str,
    since: PageTime = None,
    until: PageTime = None,
) -> HTMLResponse:
    if missing := not_found(request, store, store_id):
        return missing
    now = clock()
    window = page_window(store, store_id, since, until, now)
    reports = camera_reports(store, store_id=store_id, window=window, now=now)
    end = min(window.until, now)
    labels = store_labels(store, store_id)
    return render(
        request,
        "cameras.html",
        store_id=store_id,
        stores=store.stores(),
        window=window,
        reports=reports,
        labels=labels,
        changes=sorted((e for r in reports for e in r.history if e.ts >= window.since), key=lambda e: e.ts),
        charts=[charts.camera_status_timeline(reports, since=window.since, until=end, labels=labels)],
    )


router.include_router(protected)


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect after login would be a phishing tool."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
