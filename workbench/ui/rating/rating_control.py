"""The rating control for one output, shared by the Review page and the Compare grid.

One form per output: stars or thumbs (``st.feedback``), tags from the project's list, a comment,
and one Save button. A form keeps the clicks local until Save, so picking stars, tags and a
comment costs no reruns; Enter in the comment box (or the optional keyboard shortcut) saves.
Widget keys are derived from ``key`` and the output id only, so they are stable across reruns
and unique when many outputs are rated on one page. Without a rater name yet, the form asks for
it; the name is then kept for the browser session (the sidebar's "Your name"). With sign-in on,
saving checks the ``output.rate`` role and says why not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import streamlit as st
from sqlalchemy import Engine

from workbench.judging import ratings
from workbench.judging.blind import BlindCell, blind_row, new_seed
from workbench.judging.ratings import RatingView
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import shows_errors
from workbench.ui.shell.safe_markdown import safe_markdown

BLIND_SEED = "blind_seed"


def blind_seed() -> str:
    """This browser session's seed for blind shuffles (stable across reruns, new per session)."""
    if BLIND_SEED not in st.session_state:
        st.session_state[BLIND_SEED] = new_seed()
    return str(st.session_state[BLIND_SEED])


def blind_cells(
    engine: Engine,
    row_key: object,
    outputs: Sequence[tuple[int, str]],
    rater: str,
    rated: Collection[int] | None = None,
) -> list[BlindCell]:
    """One blind row of ``(output_id, model_label)``: shuffled for this session and row, model
    names hidden until ``rater`` has rated every answer in it (for the Compare grid). ``rated``:
    the ids the rater has rated, when the caller fetched them already."""
    if rated is None:
        rated = ratings.rated_output_ids(engine, [o for o, _ in outputs], (rater or "").strip())
    return blind_row(blind_seed(), row_key, outputs, set(rated))


def _default(existing: RatingView | None, kind: str) -> int | None:
    """``st.feedback``'s index for an earlier rating: stars are 0-based, thumbs 0 = down."""
    if existing is None or existing.kind != kind:
        return None
    return existing.value - 1 if kind == "stars" else existing.value


def describe(rating: RatingView) -> str:
    """One line for a saved rating: "★★★★☆ · accurate, too long · "Right figure…""."""
    shown = (
        "★" * rating.value + "☆" * (5 - rating.value)
        if rating.kind == "stars"
        else ("Thumbs up" if rating.value else "Thumbs down")
    )
    parts = [
        shown,
        *([", ".join(rating.tags)] if rating.tags else []),
        *([f"“{rating.comment}”"] if rating.comment else []),
    ]
    return " · ".join(parts) + (" · given blind" if rating.blind else "")


def _adopt_name(base: str) -> None:
    """Submit callback (runs before the next script run, so before the sidebar's name box is
    drawn): the name typed in the form becomes this session's rater name."""
    typed = str(st.session_state.get(f"{base}_name") or "").strip()
    if typed:
        st.session_state[state.RATER_NAME] = typed


def rating_control(
    engine: Engine,
    output_id: int,
    rater: str,
    *,
    kind: str = "stars",
    blind: bool = False,
    key: str = "rate",
    shortcut: str | None = None,
    on_saved: Callable[[RatingView], None] | None = None,
    known: tuple[RatingView | None, list[str]] | None = None,
) -> RatingView | None:
    """Render the control; returns the rater's current rating of the output (``None`` if none).

    ``on_saved`` runs after a successful save (call ``st.rerun()`` there when something drawn
    above, such as a blind row's model names, must change). ``known``: the rater's rating and
    the tag list, when the caller fetched them for many outputs at once (no query here then).
    """
    base = f"{key}_{output_id}"
    rater = (rater or "").strip()
    if known is None:
        existing = ratings.get_rating(engine, output_id, rater) if rater else None
        options = ratings.tags_for_output(engine, output_id)
    else:
        existing, options = known[0], list(known[1])
    if existing:
        options += [t for t in existing.tags if t not in options]
    with st.form(base, border=False, enter_to_submit=True):
        picked = st.feedback(
            "stars" if kind == "stars" else "thumbs", key=f"{base}_score", default=_default(existing, kind)
        )
        chosen = st.multiselect(
            "Tags",
            options,
            default=list(existing.tags) if existing else [],
            key=f"{base}_tags",
            placeholder="Type to find a tag",
        )
        comment = st.text_input(
            "Comment",
            value=existing.comment if existing else "",
            key=f"{base}_comment",
            placeholder="What is right or wrong with it? (Enter saves)",
        )
        if not rater:
            st.text_input(
                "Your name",
                key=f"{base}_name",
                placeholder="e.g. Dana from Support",
                help="Asked once: every rating records who gave it. Kept for this browser session "
                "and shown in the sidebar.",
            )
        submitted = st.form_submit_button(
            "Update my rating" if existing else "Save rating",
            type="primary",
            key=f"{base}_save",
            shortcut=shortcut,
            on_click=None if rater else _adopt_name,
            args=None if rater else (base,),
        )
    if existing and not submitted:
        st.caption(f"Your rating: {safe_markdown(describe(existing))}")
    if not submitted:
        return existing
    rater = rater or state.user_name()  # typed into this form just now (see ``_adopt_name``)
    if not rater:
        st.warning("Type your name first: every rating records who gave it.", icon=":material/edit:")
        return existing
    if not auth.allowed("output.rate", engine=engine):
        return existing
    if picked is None:
        st.warning("Pick the stars (or a thumb) first, then save.", icon=":material/star:")
        return existing
    value = picked + 1 if kind == "stars" else picked
    with shows_errors():
        saved = ratings.rate_output(
            engine,
            output_id=output_id,
            rater=rater,
            kind=kind,
            value=value,
            comment=comment,
            tags=chosen,
            blind=blind,
        )
        st.caption(f"Saved: {safe_markdown(describe(saved))}")
        if on_saved is not None:
            on_saved(saved)
        return saved
    return existing


MEMO = "rating_memo"  # output id -> this rater's rating, as the grid's last full run read it


def remember(found: Mapping[int, RatingView | None]) -> None:
    """What a full run of the grid read (one query for every cell), for its cells' fragments."""
    st.session_state[MEMO] = dict(found)


@st.fragment
def rating_cell(
    engine: Engine,
    output_id: int,
    rater: str,
    tags: Sequence[str],
    *,
    kind: str,
    blind: bool,
    key: str,
    rerun_page: bool = False,
) -> None:
    """``rating_control`` as a fragment: a star, a tag or Save reruns this cell only, not the page.
    The rating comes from ``remember``'s memo (kept up to date by the saves made here), so the
    cell issues no query of its own; ``rerun_page`` redraws the whole page after a save (a blind
    row reveals its model names; a name typed in the form shows in the sidebar)."""
    memo: dict[int, RatingView | None] = st.session_state.setdefault(MEMO, {})
    asked_name = not rater.strip()

    def saved(rating: RatingView) -> None:
        memo[output_id] = rating
        if rerun_page or asked_name:
            st.rerun()

    rating_control(
        engine,
        output_id,
        rater,
        kind=kind,
        blind=blind,
        key=key,
        on_saved=saved,
        known=(memo.get(output_id), list(tags)),
    )
