"""The ``seedctl`` command line: parse, call one engine function, render the result."""
