"""The BPMN 2.0 elements Cuebook accepts: every one SpiffWorkflow 3 runs.

A bundle naming an element outside this set is refused at validate/deploy with the
element's id, never accepted and stuck at run time. docs/bundles.md has the same list
with what each element does in a session.
"""

from __future__ import annotations

STRUCTURE = """
definitions process collaboration participant messageFlow laneSet lane childLaneSet
flowNodeRef incoming outgoing sequenceFlow conditionExpression documentation
extensionElements textAnnotation association text group category categoryValue property
itemDefinition import
"""

TASKS = """
task userTask manualTask scriptTask script serviceTask businessRuleTask sendTask receiveTask
subProcess transaction callActivity
"""

GATEWAYS = "exclusiveGateway parallelGateway inclusiveGateway eventBasedGateway"

EVENTS = """
startEvent endEvent intermediateCatchEvent intermediateThrowEvent boundaryEvent
timerEventDefinition timeDuration timeDate timeCycle messageEventDefinition message
errorEventDefinition error terminateEventDefinition signalEventDefinition signal
escalationEventDefinition escalation compensateEventDefinition conditionalEventDefinition
condition linkEventDefinition cancelEventDefinition
correlationProperty correlationPropertyRetrievalExpression correlationKey
correlationPropertyRef messagePath formalExpression correlationSubscription
correlationPropertyBinding dataPath
"""

LOOPS = """
standardLoopCharacteristics loopCondition multiInstanceLoopCharacteristics loopCardinality
loopDataInputRef loopDataOutputRef inputDataItem outputDataItem completionCondition
"""

DATA = """
dataObject dataObjectReference dataStore dataStoreReference dataInputAssociation
dataOutputAssociation sourceRef targetRef dataState ioSpecification dataInput dataOutput
inputSet outputSet dataInputRefs dataOutputRefs
"""

SUPPORTED_BPMN = frozenset(" ".join((STRUCTURE, TASKS, GATEWAYS, EVENTS, LOOPS, DATA)).split())

# Elements a methodologist may draw that the engine does not run, with what to draw instead.
REFUSED = {
    "adHocSubProcess": "an ad-hoc sub-process is not run: let the person choose the next "
    "step with a choice form and an exclusive gateway in a loop",
    "complexGateway": "a complex gateway is not run: use an inclusive or exclusive gateway",
    "choreography": "choreographies are not run: draw the process of each participant",
    "conversation": "conversations are not run: draw message flows between participants",
}


def unsupported(name: str) -> str:
    """The problem of an element outside SUPPORTED_BPMN, with what to use instead if known."""
    hint = REFUSED.get(name)
    return f"unsupported BPMN element bpmn:{name}" + (f": {hint}" if hint else "")
