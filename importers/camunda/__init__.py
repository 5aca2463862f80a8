"""Camunda 7 models (BPMN with camunda: extensions, DMN) as Cuebook bundles.

The modules, by job: ``source`` reads a file, folder or zip within limits; ``juel`` and
``expressions`` turn JUEL into sandboxed Python; ``forms`` turns camunda:formData into
JSON Schema and ``form_js`` Camunda Forms, ``form_steps`` attaches them to steps;
``tasks``, ``scripts``, ``mappings`` and ``multi_instance`` translate activities;
``diagram`` draws what the import adds;
``bpmn`` walks a document; ``dmn`` rewrites decision tables; ``report`` says what happened;
``importer`` ties them together and writes the bundle.
"""

from importers.camunda.importer import REPORT_FILE, ImportResult, import_camunda, write_bundle
from importers.camunda.report import Report
from importers.camunda.source import NotAModel

__all__ = ["REPORT_FILE", "ImportResult", "NotAModel", "Report", "import_camunda", "write_bundle"]
