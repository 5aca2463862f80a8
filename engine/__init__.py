"""The Cuebook engine: scripts, versions, sessions and the step transaction.

No Flask and no HTTP here; collaborators (unit of work, service caller, clock)
come in as arguments.
"""
