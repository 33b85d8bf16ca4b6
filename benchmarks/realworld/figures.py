"""Per-rule precision on the real-world corpus: verdicts.tsv joined with the current diagnostics.

Usage: python3 benchmarks/realworld/figures.py [--markdown]

A verdict counts only while mlint still reports its diagnostic (same rule, repo and location in
.out/diagnostics.jsonl, written by run.py): narrowing a rule drops its judged rows automatically.
Writes precision.json ({code: {hits, judged, tp, low_value, fp}}).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import HERE
from run import CHECKOUT
from sample import load_diagnostics, load_verdicts

PRECISION = HERE / "precision.json"
BAR = 0.90
MIN_JUDGED = 10
MIN_HITS = 5


def all_codes() -> list[str]:
    """Every rule code of the checkout (so rules without hits show as unmeasured)."""
    sys.path.insert(0, str(CHECKOUT))
    try:
        from mlint.manifest import RULE_NAMES
    except ImportError:
        return []
    return sorted(RULE_NAMES)


def status(hits: int, judged: int, tp: int) -> str:
    if hits < MIN_HITS:
        return "unmeasured"
    if judged < min(MIN_JUDGED, hits):
        return "under-sampled"
    return "meets" if tp >= BAR * judged else "below"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    diagnostics = load_diagnostics()
    verdicts = load_verdicts()
    current = {(str(d["rule"]), str(d["repo"]), str(d["location"])) for d in diagnostics}
    hits = Counter(str(d["rule"]) for d in diagnostics)
    tally: dict[str, Counter[str]] = {}
    stale = 0
    for key, (verdict, _) in verdicts.items():
        if key not in current:
            stale += 1
            continue
        tally.setdefault(key[0], Counter())[verdict] += 1
    codes = sorted(set(all_codes()) | set(hits) | set(tally))
    figures: dict[str, dict[str, int]] = {}
    rows = []
    totals = Counter[str]()
    for code in codes:
        t = tally.get(code, Counter())
        judged = t["TP"] + t["low-value"] + t["FP"]
        figures[code] = {
            "hits": hits[code],
            "judged": judged,
            "tp": t["TP"],
            "low_value": t["low-value"],
            "fp": t["FP"],
        }
        totals.update(
            {
                "hits": hits[code],
                "judged": judged,
                "tp": t["TP"],
                "lv": t["low-value"],
                "fp": t["FP"],
            }
        )
        pct = f"{100 * t['TP'] / judged:.0f}%" if judged else "-"
        rows.append(
            (
                code,
                hits[code],
                judged,
                t["TP"],
                t["low-value"],
                t["FP"],
                pct,
                status(hits[code], judged, t["TP"]),
            )
        )
    header = ("rule", "hits", "judged", "TP", "low-value", "FP", "TP%", "bar (>=90% TP)")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(str(x) for x in row) + " |")
    else:
        print(
            f"{header[0]:6} {header[1]:>5} {header[2]:>6} {header[3]:>4} {header[4]:>9} {header[5]:>4} {header[6]:>5}  {header[7]}"
        )
        for code, h, j, tp, lv, fp, pct, st in rows:
            print(f"{code:6} {h:5} {j:6} {tp:4} {lv:9} {fp:4} {pct:>5}  {st}")
    judged = totals["judged"]
    overall = f"{100 * totals['tp'] / judged:.0f}%" if judged else "-"
    print(
        f"\ntotal: {totals['hits']} hits, {judged} judged: {totals['tp']} TP, {totals['lv']} low-value, "
        f"{totals['fp']} FP ({overall} TP)"
    )
    if stale:
        print(
            f"{stale} verdicts no longer match a current diagnostic (rule narrowed or code moved); not counted"
        )
    PRECISION.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
