#!/usr/bin/env bash
# The two system programs the book needs beyond Python, each installed only when it is missing:
#   chromium  the headless browser of the book's browser tests (Debian's package)
#   npm       fetches the book's pinned JavaScript assets once (MathJax, require.js, the widget manager)
#
# Each missing program gets its own apt-get call. On machines whose Node.js comes from NodeSource, npm is
# bundled with node and Debian's npm package conflicts with it, so asking apt for both at once fails even
# though only the browser was missing.
#
# Where a program cannot be installed (not root, or no apt-get), this prints one line naming what to install
# and records it in the file given as $1 (default .venv/system-deps-missing); the tests that need the program
# read that file and skip with its reason. Everything else still sets up and runs. The file is removed when
# nothing is missing, so a later successful install brings the skipped tests back. Where apt-get could have
# installed a program and failed, the script fails: a machine that should run the browser tests must not
# skip them quietly.
set -u

missing_file="${1:-.venv/system-deps-missing}"
mkdir -p "$(dirname "$missing_file")"
rm -f "$missing_file"

have() { command -v "$1" >/dev/null 2>&1; }

can_install=yes
why_not=""
if ! have apt-get; then
    can_install=no
    why_not="no apt-get on this machine"
elif [ "$(id -u)" != 0 ]; then
    can_install=no
    why_not="not running as root"
fi

updated=no
status=0
for program in chromium npm; do
    have "$program" && continue
    if [ "$can_install" = yes ]; then
        if [ "$updated" = no ]; then
            apt-get update -qq || echo "system-deps: apt-get update failed; trying the install anyway" >&2
            updated=yes
        fi
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$program" && have "$program"; then
            echo "system-deps: installed $program"
        else
            echo "system-deps: apt-get could not install $program: see apt's message above" >&2
            status=1
        fi
        continue
    fi
    line="$program is missing and was not installed ($why_not): install Debian's $program package (apt-get install $program) and rerun make setup; until then the tests that need it are skipped"
    echo "system-deps: $line" >&2
    echo "$program: $line" >>"$missing_file"
done
exit "$status"
