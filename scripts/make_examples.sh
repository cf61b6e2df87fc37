#!/usr/bin/env bash
# Regenerate docs/examples/ from the devset: themes.json and a brief of each type (faq,
# comparison, case-study): a gap's before a partial's before a covered one's, then the top-ranked
# (every theme is briefed here: [briefs] coverage includes "covered").
#   bash scripts/make_examples.sh [DEVSET_FOLDER]
set -euo pipefail
cd "$(dirname "$0")/.."
set_dir="${1:-../shared/devset/shiftwise}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '[briefs]\ncoverage = ["gap", "partial", "covered"]\n' > "$work/objections.toml"
.venv/bin/objections eval "$set_dir" --config "$work/objections.toml" --out "$work/out" \
  --db "$work/store.db" > /dev/null
run="$work/out/$(basename "$set_dir")"
cp "$run/themes.json" docs/examples/themes.json
.venv/bin/python - "$run" <<'PY'
import json, shutil, sys
from pathlib import Path

run = Path(sys.argv[1])
themes = json.loads((run / "themes.json").read_text())["themes"]
for kind in ("faq", "comparison", "case-study"):
    order = {"gap": 0, "partial": 1, "covered": 2}
    of_kind = [t for t in themes if t["brief_type"] == kind]
    chosen = min(of_kind, key=lambda t: (order[t["coverage"]], t["rank"]))
    shutil.copy(run / chosen["brief"], Path("docs/examples") / f"{kind}.md")
    print(f"docs/examples/{kind}.md: {chosen['label']} ({chosen['coverage']})")
PY
