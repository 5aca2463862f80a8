"""Tables, the database handle and the unit of work."""
