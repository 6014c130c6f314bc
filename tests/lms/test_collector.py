"""The worker collects cyclic garbage between requests, never while another thread is in one (lms.collector).

Real threads, Python's real collector: each collection is seen through
``gc.callbacks``, with the number of requests in flight at that moment.
"""
from __future__ import annotations

import gc
import threading
import time

import pytest
from flask import Flask

from lms import collector

pytestmark = pytest.mark.db_independent


def make_garbage(cycles: int) -> None:
    for _ in range(cycles):
        a: list = []
        b = [a]
        a.append(b)


@pytest.fixture
def gated_app():
    app = Flask(__name__)
    held = threading.Event()
    app.config["held"] = held

    in_view = threading.Event()
    app.config["in_view"] = in_view

    @app.get("/slow")
    def slow():
        in_view.set()
        assert held.wait(10)
        return "slow"

    @app.get("/fast")
    def fast():
        app.config["ran"].append((threading.current_thread().name, time.monotonic()))
        return "fast"

    app.config["ran"] = []
    collector.init_app(app)
    # Arrivals are seen before the collector's count: around it.
    arrived = threading.Event()
    app.config["arrived"] = arrived
    counted = app.wsgi_app

    def arriving(environ, start_response):
        arrived.set()
        return counted(environ, start_response)
    app.wsgi_app = arriving
    return app


@pytest.fixture
def collections():
    """The requests in flight at the start of each collection while the test runs."""
    seen: list[int] = []
    gc.collect()  # start from nothing to collect: the test's garbage alone decides

    def note(phase, _info):
        if phase == "start":
            seen.append(collector.in_flight())
    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


def get(app, path, results):
    results[threading.current_thread().name] = (app.test_client().get(path).status_code, time.monotonic())


def test_garbage_is_collected_only_when_no_other_request_is_in_flight(gated_app, collections):
    results: dict = {}
    arrived = gated_app.config["arrived"]
    slow = threading.Thread(target=get, args=(gated_app, "/slow", results), name="slow")
    slow.start()
    assert gated_app.config["in_view"].wait(5)
    make_garbage(collector.THRESHOLD * 2)
    # A quick request ends while the slow one is in flight: the collection waits for it.
    get(gated_app, "/fast", results)
    assert collections == []
    arrived.clear()
    late = threading.Thread(target=get, args=(gated_app, "/fast", results), name="late")
    late.start()
    assert arrived.wait(5)  # the late request has arrived ...
    time.sleep(0.1)
    assert [name for name, _ in gated_app.config["ran"]] == ["MainThread"]  # ... and waits
    released = time.monotonic()
    gated_app.config["held"].set()
    slow.join(5)
    late.join(5)
    assert results["slow"][0] == results["late"][0] == results["MainThread"][0] == 200
    # The slow request, the last in flight, collected as it ended; then the late one ran.
    assert collections and set(collections) == {0}
    assert collector.in_flight() == 0
    late_ran = dict(gated_app.config["ran"])["late"]
    assert late_ran > released
    assert gc.get_count()[0] < collector.THRESHOLD


def test_a_request_that_waits_too_long_for_the_collection_goes_ahead(gated_app, collections):
    results: dict = {}
    slow = threading.Thread(target=get, args=(gated_app, "/slow", results), name="slow")
    slow.start()
    assert gated_app.config["in_view"].wait(5)
    make_garbage(collector.THRESHOLD * 2)
    get(gated_app, "/fast", results)  # asks for a collection the slow request holds up
    started = time.monotonic()
    get(gated_app, "/fast", results)  # e.g. the LMS fetching our keys while the slow request waits for it
    waited = time.monotonic() - started
    assert collector.WAIT_SECONDS * 0.9 <= waited
    assert collections == []  # nobody collected under the slow request's feet
    gated_app.config["held"].set()
    slow.join(5)
    assert results["slow"][0] == 200
    assert collections and set(collections) == {0}
    assert collector.in_flight() == 0


def test_a_request_inside_another_in_the_same_thread_does_not_wait_for_the_outer_one(gated_app, collections):
    inner_took: list[float] = []

    @gated_app.get("/outer")
    def outer():
        make_garbage(collector.THRESHOLD * 2)
        client = gated_app.test_client()
        client.get("/fast")  # ends with garbage enough: a collection is asked for, the outer request holds it
        started = time.monotonic()
        client.get("/fast")
        inner_took.append(time.monotonic() - started)
        return "outer"

    assert gated_app.test_client().get("/outer").status_code == 200
    assert inner_took and inner_took[0] < collector.WAIT_SECONDS / 2
    assert collections and set(collections) == {0}
    assert collector.in_flight() == 0
