"""What the editor's properties panel asks of the engine while a methodologist edits a draft.

Nothing here writes: each function reads what it is given (a piece of code, a form, a draft's
BPMN and files, the published scripts) and answers the panel's question.

* ``expressions``: a gateway condition or script checked by the sandbox's own rules, with
  the line and column of each problem and the variables the code reads and writes;
* ``previews``: a step built from a form schema, UI schema and texts, as the runner builds
  one, so the channel renderers show it as the operator, the chat and the IVR will see it;
* ``variables``: the variables known at an element of a draft (start defaults, form fields,
  service results, script assignments, decision outputs upstream), for the variable picker;
* ``callables``: the processes of published scripts a call activity may call, and the
  functions a service task may call with their parameters in order.
"""
