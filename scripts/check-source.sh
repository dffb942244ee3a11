#!/usr/bin/env bash
# check-source.sh: source rules a compiler does not enforce.
#  - banned C functions (unsafe or with hidden global state);
#  - every C file starts with an SPDX line followed by a comment saying what it is for;
#  - formatting follows .clang-format (when clang-format is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find engine src tests bench -name '*.[ch]')
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atof|rand|strncpy|asctime|ctime|gmtime|localtime)[[:space:]]*\('
if grep -nE "$banned" $files; then
    echo "check-source: banned function used (see docs/architecture.md, Coding rules)" >&2
    status=1
fi
for f in $files; do
    if ! head -1 "$f" | grep -q 'SPDX-License-Identifier'; then
        echo "check-source: $f: first line must be the SPDX licence line" >&2
        status=1
    fi
    if ! sed -n 2p "$f" | grep -q '^/\*'; then
        echo "check-source: $f: second line must open a comment saying what the file is for" >&2
        status=1
    fi
done
if command -v clang-format >/dev/null 2>&1; then
    if ! clang-format --dry-run -Werror $files 2>/dev/null; then
        echo "check-source: formatting differs from .clang-format (run clang-format -i)" >&2
        status=1
    fi
else
    echo "check-source: clang-format not installed; formatting not checked" >&2
fi
[ $status -eq 0 ] && echo "check-source: ok ($(echo $files | wc -w) files)"
exit $status
