"""Flask blueprints for authors: scripts, versions, publish and rollback."""
