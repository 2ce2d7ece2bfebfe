"""The one error type of the exporter, shaped like Bszo's C# errors: what, expected, found, hint."""


class ExportError(Exception):
    """A problem the user can fix: unknown family, unsupported dtype, missing tokenizer files..."""

    def __init__(self, what, expected=None, found=None, hint=None):
        lines = [what]
        if expected is not None:
            lines.append(f"  expected: {expected}")
        if found is not None:
            lines.append(f"  found:    {found}")
        if hint is not None:
            lines.append(f"  hint:     {hint}")
        super().__init__("\n".join(lines))
