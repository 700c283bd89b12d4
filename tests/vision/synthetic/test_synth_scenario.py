"""Scenarios as data: the library, YAML round trips, every mistake named, random crowds from a seed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from shelfsight.edge_config import load_config_text
from shelfsight.vision.synthetic.library import library_names, library_scenario, resolve_scenario
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.scenario import CrowdSpec, Leave, Reach, Scenario, ScenarioError, Walk
from shelfsight.vision.synthetic.scenario_io import dump_scenario, load_scenario, scenario_from_dict
from shelfsight.vision.synthetic.story import build_story
from shelfsight.vision.synthetic.writer import edge_config_yaml

REQUIRED_LIBRARY = {
    "empty_aisle",
    "one_passes_by",
    "one_dwells",
    "one_takes_item",
    "one_takes_and_returns",
    "two_cross_and_occlude",
    "busy_hour",
}

BASE: dict[str, Any] = {
    "name": "mini",
    "layout": {"shelves": [{"id": "shelf-a"}, {"id": "shelf-b"}]},
    "shoppers": [
        {
            "id": 1,
            "script": [
                {"walk": {"shelf": "shelf-a", "spot": "r2c3"}},
                {"reach": {"spot": "r2c3", "action": "take"}},
                {"leave": "right"},
            ],
        }
    ],
}


def with_overlay(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data.update(changes)
    return data


def with_script(*steps: Any) -> dict[str, Any]:
    return with_overlay(shoppers=[{"id": 1, "script": list(steps)}])


def test_library_has_the_required_scenarios_and_each_builds() -> None:
    names = library_names()
    assert set(names) >= REQUIRED_LIBRARY
    for name in names:
        scenario = library_scenario(name)
        assert scenario.name == name
        assert scenario.description
        build_story(scenario)  # raises on an impossible script


def test_busy_hour_has_at_least_30_shoppers() -> None:
    story = build_story(library_scenario("busy_hour"))
    assert len(story.shoppers) >= 30
    assert story.frame_count / story.fps <= 300  # a shortened "hour": a few minutes


@pytest.mark.parametrize("name", [*sorted(REQUIRED_LIBRARY), "oblique_effects", "one_misplaces_item", "camera_faults"])
def test_yaml_round_trip_gives_an_equal_scenario(name: str) -> None:
    scenario = library_scenario(name)
    assert scenario_from_dict(yaml.safe_load(dump_scenario(scenario))) == scenario


def test_expanded_random_crowd_round_trips_and_renders_the_same_shoppers() -> None:
    story = build_story(random_scenario(11))
    again = build_story(scenario_from_dict(yaml.safe_load(dump_scenario(story.scenario))))
    assert [p.spec for p in again.shoppers] == [p.spec for p in story.shoppers]
    assert again.outcomes == story.outcomes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_overlay(nmae="x"), "nmae: unknown key 'nmae'; did you mean 'name'?"),
        (with_overlay(name="Bad Name"), "name: lowercase letters"),
        (with_overlay(seed="7"), "seed: expected a whole number, got '7'"),
        (with_overlay(camera={"fps": True}), "camera.fps: expected a number, got True"),
        (with_overlay(camera={"view": "fisheye"}), "camera.view: must be one of eye_level, high_oblique"),
        (with_overlay(camera={"effects": {"jpeg_quality": 5}}), "camera.effects.jpeg_quality: must be within 10..100"),
        (with_overlay(layout={"shelves": []}), "layout.shelves: needs at least one shelf"),
        (with_overlay(layout={"shelves": [{"id": "a"}, {"id": "a"}]}), "zone id 'a' is used twice"),
        (with_overlay(layout={"shelves": [{"id": "a/b"}]}), "layout.shelves[0].id: must be 1-64 letters"),
        (with_overlay(layout={"shelves": [{"id": "a", "empty": ["r9c1"]}]}), "no spot 'r9c1' on shelf 'a'"),
        (with_overlay(layout={}), "layout.shelves: required key is missing"),
        (with_script({"wlak": {"shelf": "shelf-a", "at": 0.5}}), "unknown step 'wlak' (did you mean 'walk'?)"),
        (with_script({"walk": {"shelf": "shelf-x", "at": 0.5}}), "walk.shelf: no shelf 'shelf-x'"),
        (with_script({"walk": {"shelf": "shelf-a"}}), "give exactly one of spot or at"),
        (with_script({"walk": {"x_m": 1.0}}), "x_m and depth_m go together"),
        (with_script({"walk": {"shelf": "shelf-a", "at": 1.5}}), "walk.at: must be within 0..1, got 1.5"),
        (with_script({"reach": {"spot": "r1c1"}}), "walk to a shelf first"),
        (with_script({"walk": {"shelf": "shelf-a", "at": 0.5}}, {"reach": {"spot": "r1c1", "action": "return"}}),
         "'return' needs an item in the hand"),
        (with_script({"walk": {"shelf": "shelf-a", "at": 0.5}}, {"reach": {"spot": "r1c1", "action": "take"}},
                     {"reach": {"spot": "r1c2", "action": "take"}}), "already holds an item"),
        (with_script({"walk": {"shelf": "shelf-a", "at": 0.5}}, {"reach": {"spot": "r1c1", "action": "grab"}}),
         "reach.action: must be one of touch, take, return, got 'grab'"),
        (with_script({"leave": "right"}, {"wait": 1.0}), "script[0].leave: must be the last step"),
        (with_overlay(shoppers=[{"id": 0}]), "shoppers[0].id: must be >= 1"),
        (with_overlay(shoppers=[{"id": 2}, {"id": 2}]), "shoppers[1].id: id 2 is used by another shopper"),
        (with_overlay(crowd={"arrivals_per_min": -1}), "crowd.arrivals_per_min: must be within 0..120"),
        (with_overlay(crowd={"standing_at_start": 9}), "crowd.standing_at_start: must be within 0..4, got 9"),
        (with_overlay(camera={"effects": {"jitter_px": 20}}), "camera.effects.jitter_px: must be within 0..8, got 20"),
        (with_overlay(camera={"effects": {"h264_kbps": 10}}), "camera.effects.h264_kbps: must be within 50..50000"),
        (with_overlay(camera={"effects": {"h264_kbps": 800, "jpeg_quality": 70}}),
         "give jpeg_quality or h264_kbps, not both"),
        (with_overlay(camera={"width": 641, "effects": {"h264_kbps": 800}}), "H.264 needs an even width and height"),
        (with_overlay(camera={"view": "overhead_fisheye", "effects": {"lens_k1": 0.1}}),
         "the overhead_fisheye view has its own fisheye lens"),
        (with_overlay(camera={"view": "ceiling"}), "camera.view: must be one of eye_level, high_oblique, overhead"),
        (with_overlay(layout={"shelves": [{"id": "a"}], "packaging_detail": 2}), "layout.packaging_detail: must be"),
        (with_overlay(arms="bony"), "arms: must be one of simple, jointed, got 'bony'"),
        (with_overlay(shoppers=[{"id": 1, "enter_s": -4000}]), "shoppers[0].enter_s: must be within -3600..86400"),
    ],
)  # fmt: skip
def test_mistakes_are_named_with_their_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert message in str(caught.value)


def test_all_mistakes_are_listed_at_once() -> None:
    data = with_overlay(nmae="x", seed="7", camera={"fps": 500})
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert len(caught.value.problems) == 3


def walk_to(spot: str) -> dict[str, Any]:
    return {"walk": {"shelf": "shelf-a", "spot": spot}}


def reach(spot: str, action: str = "touch") -> dict[str, Any]:
    return {"reach": {"spot": spot, "action": action}}


@pytest.mark.parametrize(
    ("shoppers", "message"),
    [
        # two shoppers take the same facing: the second finds it empty
        (
            [
                {"id": 1, "script": [walk_to("r2c3"), reach("r2c3", "take")]},
                {"id": 2, "enter_s": 8.0, "script": [walk_to("r2c3"), reach("r2c3", "take")]},
            ],
            "shopper 2, script[1] (take shelf-a/r2c3",
        ),
        # returning into a spot that is still full
        (
            [{"id": 1, "script": [walk_to("r2c3"), reach("r2c3", "take"), reach("r2c4", "return")]}],
            "the spot is filled then",
        ),
        # reaching from the walking lane, not the standing zone
        (
            [
                {
                    "id": 1,
                    "script": [
                        {"walk": {"x_m": -1.0, "depth_m": 2.0}},
                        {"reach": {"shelf": "shelf-a", "spot": "r2c3"}},
                    ],
                }
            ],
            "outside the standing area of 'shelf-a'",
        ),
        # a spot far to the side of where the shopper stands
        ([{"id": 1, "script": [{"walk": {"shelf": "shelf-a", "at": 0.1}}, reach("r2c8")]}], "beyond arm's reach"),
    ],
)
def test_impossible_stories_are_refused(shoppers: list[dict[str, Any]], message: str) -> None:
    scenario = scenario_from_dict(with_overlay(shoppers=shoppers))
    with pytest.raises(ScenarioError) as caught:
        build_story(scenario)
    assert message in str(caught.value)


def test_a_layout_wider_than_the_view_is_refused() -> None:
    shelves = [{"id": f"s{i}", "width_m": 2.0} for i in range(4)]
    with pytest.raises(ScenarioError, match=r"leaves the image; this camera sees about x"):
        build_story(scenario_from_dict(with_overlay(layout={"shelves": shelves}, shoppers=[])))


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_random_scenario_is_a_function_of_its_seed(seed: int) -> None:
    rates = CrowdSpec(arrivals_per_min=9, window_s=80)
    scenario = random_scenario(seed, rates)
    first, second = build_story(scenario), build_story(random_scenario(seed, rates))
    assert [p.spec for p in first.shoppers] == [p.spec for p in second.shoppers]
    assert first.initial == second.initial
    assert scenario.crowd is not None
    assert len(first.shoppers) == round(9 * 80 / 60) + scenario.crowd.standing_at_start
    other = build_story(random_scenario(seed + 1, rates))
    assert [p.spec for p in other.shoppers] != [p.spec for p in first.shoppers]


def test_random_rates_shape_the_crowd() -> None:
    everyone_takes = CrowdSpec(arrivals_per_min=20, window_s=60, stop_share=1, reach_share=1, take_share=1,
                               return_share=0)  # fmt: skip
    nobody_stops = dataclasses.replace(everyone_takes, stop_share=0)
    takers = build_story(random_scenario(5, everyone_takes, clean=True))
    passers = build_story(random_scenario(5, nobody_stops, clean=True))
    assert sum(o.reach.action == "take" for o in takers.outcomes) == len(takers.shoppers)
    assert passers.outcomes == ()


@pytest.mark.parametrize(
    ("ref", "name", "arrivals", "view"),
    [
        ("one_takes_item", "one_takes_item", 1, "eye_level"),
        ("synthetic:one_dwells", "one_dwells", 1, "eye_level"),
        ("random-7", "random-7", 6, None),
        ("synthetic:random?seed=7&arrivals_per_min=3&window_s=40", "random-7", 2, None),
        ("random?seed=3&view=high_oblique", "random-3", 6, "high_oblique"),
        ("random?seed=3&view=overhead_fisheye&clean=1", "random-3", 6, "overhead_fisheye"),
        ("random?seed=7&clean=1", "random-7", 6, "eye_level"),
    ],
)
def test_scenario_references_resolve(ref: str, name: str, arrivals: int, view: str | None) -> None:
    scenario = resolve_scenario(ref)
    assert scenario.name == name
    in_place = scenario.crowd.standing_at_start if scenario.crowd is not None else 0
    assert len(build_story(scenario).shoppers) == arrivals + in_place
    assert view is None or scenario.camera.view == view
    if scenario.crowd is not None:  # random: a real camera's faults unless clean=1
        assert (scenario.camera.effects.h264_kbps is None) == ("clean=1" in ref)


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("no_such_scenario", KeyError, "no scenario 'no_such_scenario' in the library; known: busy_hour"),
        ("random?arrivals_per_min=3", ScenarioError, "needs a seed"),
        ("random?seed=1&crowd=9", ScenarioError, "crowd: unknown parameter"),
        ("random?seed=x", ScenarioError, "seed: expected a number, got 'x'"),
        ("random?seed=1&view=top", ScenarioError, "view: must be one of eye_level, high_oblique, overhead_fisheye"),
        ("random?seed=1&clean=maybe", ScenarioError, "clean: must be 1 or 0"),
    ],
)
def test_bad_references_say_what_is_known(ref: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("?", r"\?")):
        resolve_scenario(ref)


def test_a_scenario_file_resolves_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(dump_scenario(library_scenario("one_dwells")), encoding="utf-8")
    assert resolve_scenario(str(path)) == load_scenario(path) == library_scenario("one_dwells")


@pytest.mark.parametrize("name", [*sorted(REQUIRED_LIBRARY), "random-7"])
def test_written_edge_config_loads_with_the_scenarios_zones_and_rules(name: str) -> None:
    story = build_story(resolve_scenario(name))
    config = load_config_text(edge_config_yaml(story, f"synthetic:{name}"), source=name)
    (camera,) = config.cameras
    assert camera.source == f"synthetic:{name}"
    zones = {zone.id: zone for zone in camera.zones}
    assert len(zones) == 2 * len(story.layout.shelves)
    for unit in story.layout.shelves:
        assert zones[unit.zone_id].kind == "shelf"
        standing = zones[unit.standing_zone_id]
        assert standing.kind == "standing" and standing.shelf_id == unit.zone_id
        rules = config.dwell_rules_for(standing.id)
        assert (rules.min_dwell_s, rules.entry_debounce_s, rules.exit_grace_s) == dataclasses.astuple(
            story.scenario.dwell
        )


def test_scripted_steps_keep_their_types() -> None:
    scenario: Scenario = library_scenario("one_takes_and_returns")
    script = scenario.shoppers[0].script
    assert isinstance(script[0], Walk) and isinstance(script[2], Reach) and isinstance(script[-1], Leave)
    assert [s.action for s in script if isinstance(s, Reach)] == ["take", "return"]
