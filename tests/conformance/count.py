"""Print the outcome of an irctest run from its JUnit XML: ``python -m tests.conformance.count FILE``."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter


def outcomes(path: str) -> Counter[str]:
    """How many test cases passed, failed and were skipped in the JUnit XML at ``path``."""
    counts: Counter[str] = Counter()
    for case in ET.parse(path).iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        counts["failed" if kinds & {"failure", "error"} else "skipped" if kinds else "passed"] += 1
    return counts


def main(argv: list[str]) -> int:
    counts = outcomes(argv[1])
    total = sum(counts.values())
    print(f"conformance: {counts['passed']} passed of {total} "
          f"({counts['failed']} failed, {counts['skipped']} skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
