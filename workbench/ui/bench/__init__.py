"""Widgets of the Bench and Evaluate pages: the test-case editor, the evaluation form, its run and its views."""
