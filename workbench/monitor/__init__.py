"""Releases in use: applications call a labelled release through the workbench and report each
answer they served (latency, tokens, cost, the end user's feedback); the Monitor page reads it.

For applications::

    import workbench

    prompt = workbench.get_prompt("Late order reply", label="production")
    answer = prompt.complete(order_id="12345", ...)          # calls and reports
    workbench.record_feedback(answer.id, thumbs="up")        # later, by the answer's id
    workbench.monitor.flush()                                # e.g. before a script ends

==============  ===============================================================================
module          what it holds
==============  ===============================================================================
app_prompt      ``AppPrompt`` (what ``get_prompt`` returns): render, model, settings, complete,
                record, feedback
records         a report checked at the door, and personal data protected before it is kept
reporter        the queue and writer thread: never delays or raises into the application
spool           the bounded local folder reports wait in while the database is down
api             ``record_answer``, ``record_feedback``, ``flush``; one reporter per database
figures         answers served, latency percentiles, cost, feedback per release and per day
swap            a release beside the one before it ("did the swap help?"), its bench pass rate
to_review       answers in use sent to Review, as runs of kind ``app``
==============  ===============================================================================
"""

from workbench.monitor.api import flush, record_answer, record_feedback

__all__ = ["flush", "record_answer", "record_feedback"]
