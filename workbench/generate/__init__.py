"""Test cases and fine-tuning pairs generated from a project's documents, and their review.

``instructions`` says what the generating model is asked, ``jobs`` plans the runs (the same
runner and model-call path as Compare) and collects their answers into candidates, ``parsing``
reads those answers and checks them (quotes verbatim, questions merged), ``review`` accepts,
edits and rejects them: accepted cases join the bench, accepted pairs the fine-tuning export.
"""
