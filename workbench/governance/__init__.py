"""Who may see and send what: personal-data detectors and redaction, the outbound data policy, and roles."""
