# Shared set-up for bin/serve and bin/test: a virtual environment with the pinned requirements,
# compiled translations and a migrated database. Sourced, not run; each step is skipped when done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
export FLASK_APP=wsgi
export PYTHONDONTWRITEBYTECODE=1

ensure_venv() {
  local requirements=("$@") stamp="$VENV/.requirements.sha256" wanted
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  wanted=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    for file in "${requirements[@]}"; do
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$file"
    done
    echo "$wanted" > "$stamp"
  fi
}

compile_translations() {
  local po mo
  for po in translations/*/LC_MESSAGES/messages.po; do
    mo="${po%.po}.mo"
    if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
      "$VENV/bin/pybabel" compile -i "$po" -o "$mo" 2>/dev/null
    fi
  done
}

apt_install() {
  # CI and the machines of this project run as root; elsewhere sudo is needed.
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ ! -f /tmp/.panjereh-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.panjereh-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
