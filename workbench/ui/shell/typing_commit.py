"""What is typed into chosen text boxes reaches the server when typing pauses, not only when the
box loses focus.

Streamlit sends a text box's value when the box loses focus or on Ctrl+Enter (Enter in a one-line
box). A person who types into the Draft editor and then reloads the tab, with the cursor still in
the box, would lose the text: the server never had it, so the private draft could not keep it. The
script below, added by a page, presses Ctrl+Enter for such a box once typing has paused for
``PAUSE_MS`` (the same as clicking outside it), and at once when the tab is hidden or closed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import streamlit as st

PAUSE_MS = 700

_SCRIPT = """<script>
(() => {
  window.__wbCommitSelector = %(selector)s;
  if (window.__wbCommitOnPause) return;
  window.__wbCommitOnPause = true;
  let timer = null, pending = null;
  const commit = () => {
    clearTimeout(timer);
    const box = pending;
    pending = null;
    if (box && box.isConnected) {
      box.dispatchEvent(new KeyboardEvent("keydown",
        {key: "Enter", code: "Enter", ctrlKey: true, bubbles: true, cancelable: true}));
    }
  };
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (event.isComposing) return;  // a character still being composed (an input method)
    if (!(box instanceof Element) || !box.matches(window.__wbCommitSelector)) return;
    if (pending && pending !== box) commit();
    pending = box;
    clearTimeout(timer);
    timer = setTimeout(commit, %(pause)d);
  }, true);
  document.addEventListener("visibilitychange", () => { if (document.hidden) commit(); });
  window.addEventListener("pagehide", commit);
  window.addEventListener("beforeunload", commit);
})();
</script>"""


def commit_while_typing(keys: Sequence[str], key_prefixes: Sequence[str] = ()) -> None:
    """Send the boxes with these widget keys (or key prefixes) to the server when typing pauses.
    Streamlit marks each keyed widget's container with the class ``st-key-<key>``."""
    parts = [f".st-key-{key} textarea, .st-key-{key} input" for key in keys]
    parts += [
        f'[class*="st-key-{prefix}"] input, [class*="st-key-{prefix}"] textarea' for prefix in key_prefixes
    ]
    script = _SCRIPT % {"selector": json.dumps(", ".join(parts)), "pause": PAUSE_MS}
    st.html(script, unsafe_allow_javascript=True, width=1)
