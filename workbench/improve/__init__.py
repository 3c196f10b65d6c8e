"""Making a prompt better with a model's help: the one-shot rewrite, informed by the checklist and raters' feedback."""
