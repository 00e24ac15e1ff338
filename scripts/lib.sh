# Shared by the scripts: installs missing Debian/Ubuntu packages.
# need_packages PACKAGE:PATH… installs each PACKAGE whose PATH (a file, or a
# command name) is missing, with apt-get (as root, or through sudo);
# NO_RECOMMENDS=1 leaves out the packages' recommendations.
need_packages() {
  local missing=() spec pkg path
  for spec in "$@"; do
    pkg=${spec%%:*}
    path=${spec#*:}
    if [[ $path == /* ]]; then
      [ -e "$path" ] || missing+=("$pkg")
    else
      command -v "$path" >/dev/null || missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local opts=(-y -q)
  [ "${NO_RECOMMENDS:-}" = 1 ] && opts+=(--no-install-recommends)
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install "${opts[@]}" "${missing[@]}" >/dev/null 2>&1 || {
    "${sudo[@]}" apt-get update -q >/dev/null
    "${sudo[@]}" apt-get install "${opts[@]}" "${missing[@]}" >/dev/null
  }
}
