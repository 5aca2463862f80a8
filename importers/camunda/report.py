"""What an import did, element by element: translated, marked for a person, or a note."""

from __future__ import annotations

from dataclasses import dataclass, field

TRANSLATED = "translated"
MARKED = "marked"
NOTE = "note"


@dataclass(frozen=True)
class Entry:
    file: str
    element: str
    kind: str  # the Camunda element's tag, e.g. serviceTask
    status: str  # translated | marked | note
    message: str
    suggestion: str = ""

    def line(self) -> str:
        where = f"{self.file}#{self.element}" if self.element else self.file
        kind = f" ({self.kind})" if self.kind else ""
        text = f"{where}{kind}: {self.message}"
        return f"{text}\n    -> {self.suggestion}" if self.suggestion else text


@dataclass(frozen=True)
class Stub:
    """An integration function a marked element should call once someone writes it."""

    name: str
    element: str
    origin: str
    parameters: tuple[str, ...] = ()


@dataclass
class Report:
    source: str
    entries: list[Entry] = field(default_factory=list)
    stubs: list[Stub] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    validation: list[str] = field(default_factory=list)

    def add(
        self,
        file: str,
        element: str,
        kind: str,
        status: str,
        message: str,
        suggestion: str = "",
    ) -> None:
        self.entries.append(Entry(file, element, kind, status, message, suggestion))

    def translated(self, file: str, element: str, kind: str, message: str) -> None:
        self.add(file, element, kind, TRANSLATED, message)

    def marked(self, file: str, element: str, kind: str, message: str, suggestion: str) -> None:
        self.add(file, element, kind, MARKED, message, suggestion)

    def note(self, file: str, element: str, kind: str, message: str) -> None:
        self.add(file, element, kind, NOTE, message)

    def by_status(self, status: str) -> list[Entry]:
        return [e for e in self.entries if e.status == status]

    @property
    def complete(self) -> bool:
        """Everything translated and the bundle valid."""
        return not self.by_status(MARKED) and not self.validation

    def render(self, out_dir: str) -> str:
        marked, translated, notes = (self.by_status(s) for s in (MARKED, TRANSLATED, NOTE))
        lines = [
            f"Camunda 7 import: {self.source} -> {out_dir}",
            f"  files written: {', '.join(self.files) or 'none'}",
            f"  translated: {len(translated)}, marked: {len(marked)}, notes: {len(notes)}",
            "  bundle: "
            + ("valid" if not self.validation else f"{len(self.validation)} problem(s)"),
        ]
        for title, entries in (
            ("Marked (needs a person)", marked),
            ("Notes", notes),
            ("Translated", translated),
        ):
            if entries:
                lines.append("")
                lines.append(f"{title}:")
                lines.extend(f"  {e.line()}" for e in entries)
        if self.stubs:
            lines.append("")
            lines.append("Integration functions to write (stubs the marked elements name):")
            for stub in self.stubs:
                params = ", ".join(stub.parameters) or "no parameters"
                lines.append(f"  {stub.name} ({params}) for {stub.element}: was {stub.origin}")
        if self.validation:
            lines.append("")
            lines.append("Validation problems:")
            lines.extend(f"  {problem}" for problem in self.validation)
        return "\n".join(lines) + "\n"
