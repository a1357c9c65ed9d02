"""Component ids of the dashboard, in one place (pages import them from here)."""

from __future__ import annotations

# shell
LOCATION = "_pages_location"  # Dash Pages' own dcc.Location
SHELL = "shell"
PERIOD = "filter-period"
UNIT = "filter-unit"
LANG_STORE = "page-lang"

# rankings
RANK_LEVEL = "rankings-level"
RANK_SEARCH = "rankings-search"
RANK_GRID = "rankings-grid"
RANK_EXPORT = "rankings-export"
RANK_DOWNLOAD = "rankings-download"
RANK_STORE = "rankings-store"

# worker detail
WORKER_PICK = "worker-pick"

# unit detail
UNIT_PICK = "unit-pick"

# vetoes
VETO_GRID = "veto-grid"
VETO_NOTE = "veto-note"
VETO_ACTION = "veto-action"  # pattern id {"type": VETO_ACTION, "action": ...}
VETO_RESULT = "veto-result"
VETO_STORE = "veto-store"

# scheme / what-if
WHATIF_RESULTS = "whatif-results"
WHATIF_SKILLS = "whatif-skills"
WHATIF_SATISFACTION = "whatif-satisfaction"
WHATIF_APPLY = "whatif-apply"
WHATIF_OUT = "whatif-out"
WHATIF_MSG = "whatif-msg"

# finalise
FINALISE_BUTTON = "finalise-button"
FINALISE_CONFIRM = "finalise-confirm"
FINALISE_RESULT = "finalise-result"
FINALISE_STORE = "finalise-store"
STALE_BANNER = "stale-banner"
RESCORE_BUTTON = "rescore-button"
RESCORE_RESULT = "rescore-result"
