"""A prompt's life before it runs: templates, immutable versions and labels, drafts, diffs, the gallery, the checklist and the builder."""
