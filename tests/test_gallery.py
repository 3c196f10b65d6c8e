"""The gallery data file: enough good/bad pairs across business tasks, each explained, all valid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.errors import ConfigError, NotFound
from workbench.prompts.gallery import MIN_PAIRS, load_gallery, parse_gallery
from workbench.prompts.templates import PromptTemplate

GALLERY = Path(__file__).resolve().parent.parent / "workbench" / "data" / "gallery.yaml"
SEED_BAD = "Explain why a customer's order is late."


def raw() -> dict:
    return yaml.safe_load(GALLERY.read_text(encoding="utf-8"))


def test_gallery_has_twelve_explained_pairs_across_business_tasks() -> None:
    gallery = load_gallery()
    assert len(gallery.pairs) >= MIN_PAIRS >= 12
    tasks = {p.task for p in gallery.pairs}
    for task in (
        "Customer replies",
        "Meeting summaries",
        "HR policy answers",
        "Marketing copy",
        "Extraction to JSON",
        "Classification",
        "Tone rewrite",
    ):
        assert task in tasks
    assert all(p.why_weak and p.why_works for p in gallery.pairs)
    assert len(gallery.starters) >= 5


def test_gallery_includes_the_seed_late_order_pair() -> None:
    pair = load_gallery().pair("late-order-reply")
    assert pair.bad.user == SEED_BAD
    assert "order #{{ order_id }}" in pair.good.user
    assert pair.bad.result == "Your order is late due to unforeseen circumstances."


def test_every_strong_prompt_and_starter_renders_with_its_example_values() -> None:
    gallery = load_gallery()
    examples = [p.good for p in gallery.pairs] + [s.template for s in gallery.starters]
    for example in examples:
        messages = PromptTemplate(example.system, example.user).render(dict(example.sample_variables))
        assert messages[-1]["role"] == "user" and "{{" not in messages[-1]["content"]


def test_starting_point_from_a_pair_or_a_starter() -> None:
    gallery = load_gallery()
    good = gallery.starting_point("late-order-reply", "good")
    assert good.name == "Late order reply" and good.sample_variables["order_id"] == "12345"
    assert "strong example" in good.change_note
    assert gallery.starting_point("late-order-reply", "bad").user == SEED_BAD
    starter = gallery.starting_point(gallery.starters[0].id, "starter")
    assert starter.user == gallery.starters[0].template.user and "starter" in starter.change_note
    with pytest.raises(NotFound):
        gallery.starting_point("no-such-item")


def test_invalid_files_are_refused_with_the_item_named(tmp_path: Path) -> None:
    data = raw()
    data["pairs"][3]["good"]["user"] = "Hello {{ name }"
    with pytest.raises(ConfigError, match="hr-policy-answer"):
        parse_gallery(data)
    data = raw()
    data["pairs"][0]["good"]["sample_variables"].pop("order_id")
    with pytest.raises(ConfigError, match="no example value for order_id"):
        parse_gallery(data)
    data = raw()
    del data["pairs"][1]["why_weak"]
    with pytest.raises(ConfigError, match="why_weak"):
        parse_gallery(data)
    data = raw()
    data["starters"][0]["id"] = data["pairs"][0]["id"]
    with pytest.raises(ConfigError, match="more than once"):
        parse_gallery(data)
    data = raw()
    data["pairs"] = data["pairs"][:5]
    with pytest.raises(ConfigError, match="pairs"):
        parse_gallery(data)
    broken = tmp_path / "g.yaml"
    broken.write_text("pairs: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_gallery(broken)
