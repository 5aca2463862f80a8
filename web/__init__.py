"""HTTP plumbing shared by the blueprints: the app's services, auth, errors, request bodies.

No business logic here: blueprints parse a request, call one engine use case,
and render its result.
"""
