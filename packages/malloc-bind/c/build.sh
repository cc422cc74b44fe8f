#!/usr/bin/env bash
# Builds c/driver.wasm from c/driver.c with Debian's clang and wasm-ld (packages clang and lld, version 14 or
# later). The output is committed, so tests run without clang; test/build.test.ts rebuilds it when clang is
# present and runs the rebuilt module through the same driver checks.
#
# The module is freestanding (no libc): it imports its memory (shared, so several workers can run it at once)
# and the malloc family plus __errno_location from `env`, and exports `run` and `__stack_pointer` (each
# instance gets its own stack from the JS side). Usage: build.sh [output] (default: driver.wasm next to this).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/driver.wasm}"
clang="$(command -v clang || command -v clang-14)"
# -ffile-prefix-map and a fixed source path keep the output independent of where the repository lives.
cd "$here"
"$clang" --target=wasm32 -O2 -std=c11 -Wall -Wextra -Werror \
  -nostdlib -ffreestanding -fno-builtin -matomics -mbulk-memory -mmutable-globals \
  -Wl,--no-entry,--import-memory,--shared-memory,--max-memory=268435456 \
  -Wl,--global-base=1024,-z,stack-size=16384,--stack-first \
  -Wl,--export=__stack_pointer,--export=__heap_base \
  -o "$out" driver.c
