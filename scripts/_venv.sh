# shellcheck shell=bash
# Shared virtualenv setup for scripts/test and scripts/demo. Source it, don't run it.
#
# - creates .venv with $PYTHON (default: python3) if it is missing or broken;
# - runs `pip install -e '.[dev]'` only when pyproject.toml changed since the last
#   successful install (sha256 kept in .venv/.openseqr-install-stamp);
# - leaves the working directory at the repository root and sets $VENV.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
cd "$REPO_ROOT"

_openseqr_venv_setup() {
    local python="${PYTHON:-python3}"
    local stamp="$VENV/.openseqr-install-stamp"

    if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        if ! command -v "$python" >/dev/null 2>&1; then
            echo "scripts: '$python' not found; install Python >= 3.11 or set PYTHON=" >&2
            return 1
        fi
        echo "scripts: creating $VENV with $python" >&2
        "$python" -m venv --clear "$VENV"
    fi

    local want have=""
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    [[ -f "$stamp" ]] && have="$(cat "$stamp")"
    if [[ "$want" != "$have" ]]; then
        echo "scripts: pyproject.toml changed since the last install; installing -e '.[dev]'" >&2
        local log="$VENV/.openseqr-install.log"
        if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -e '.[dev]' >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            echo "scripts: pip install failed; full log in $log" >&2
            return 1
        fi
        printf '%s\n' "$want" >"$stamp"
    fi
}

if command -v flock >/dev/null 2>&1; then
    # Serialise concurrent installs (two shells running scripts/test at once). The lock
    # lives outside .venv because `venv --clear` may recreate that directory.
    _openseqr_lock="${TMPDIR:-/tmp}/openseqr-venv-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-16).lock"
    exec {_openseqr_lock_fd}>"$_openseqr_lock"
    flock "$_openseqr_lock_fd"
    _openseqr_venv_setup
    exec {_openseqr_lock_fd}>&-
    unset _openseqr_lock _openseqr_lock_fd
else
    _openseqr_venv_setup
fi
unset -f _openseqr_venv_setup
