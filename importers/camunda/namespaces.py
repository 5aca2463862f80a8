"""XML namespaces of Camunda 7 models and of what they become."""

from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

DMN13_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    DMN13_NS,
    "http://www.omg.org/spec/DMN/20191111/MODEL/",
)
DMNDI_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    "http://www.omg.org/spec/DMN/20180521/DMNDI/",
)
CAMUNDA_NAMESPACES = (CAMUNDA_NS, CAMUNDA_DMN_NS, MODELER_NS)

__all__ = [
    "BPMNDI_NS",
    "BPMN_NS",
    "CAMUNDA_DMN_NS",
    "CAMUNDA_NAMESPACES",
    "CAMUNDA_NS",
    "DMN13_NS",
    "DMNDI_NAMESPACES",
    "DMN_NAMESPACES",
    "MODELER_NS",
    "SPIFF_NS",
    "XSI_NS",
    "ZEEBE_NS",
]
