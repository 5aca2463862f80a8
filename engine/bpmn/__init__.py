"""BPMN: safe parsing, validation, the SpiffWorkflow adapter and the sandbox."""
