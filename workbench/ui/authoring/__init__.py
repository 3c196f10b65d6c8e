"""Widgets of the Draft, Gallery and Versions pages: the draft state, template views, diffs, the builder and the improver panel."""
