"""The rated library out of the workbench, in the formats people use, and back in.

==========  ===========================================================================
module      what it writes (and reads)
==========  ===========================================================================
csv_xlsx    one row per output: project, prompt, version, variables, model, output,
            ratings, tags, comments, assertion results (CSV for scripts, XLSX for Excel)
backup      every table, every row, ids kept: restored by ``workbench import --backup``
            into an empty database
finetune    chat-format JSONL (system / user / assistant) from well-rated outputs, cleaned,
            de-duplicated, length-limited, split into train and validation
promptfoo   a promptfoo configuration (prompts, providers, tests with assertions)
prompts_csv a CSV of prompts to import as new prompts or new versions
==========  ===========================================================================

``selection.Selection`` says which part of the library an export covers; ``secrets.Scrubber``
makes sure no API key leaves in any format. Every export and import is audited as
``export.<format>`` / ``import.<format>`` with its counts.
"""

FORMATS = ("csv", "xlsx", "backup", "jsonl", "promptfoo", "prompts")  # what `workbench export --format` takes
