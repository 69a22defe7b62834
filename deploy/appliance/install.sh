#!/usr/bin/env bash
# Installs or upgrades the Tendero gateway on a Debian appliance.
# Instala o actualiza el gateway de Tendero en un equipo Debian.
#
#   sudo ./install.sh [RELEASE]      RELEASE: a release tarball or unpacked directory;
#                                    default: the release this script was shipped in
#   sudo ./install.sh --rollback     back to the previous release
#
# Layout:
#   /opt/tendero/gateway/releases/<version>/   one directory per release
#   /opt/tendero/gateway/current  -> releases/<version>   (switched by an atomic rename)
#   /opt/tendero/gateway/previous -> releases/<version>   (kept for --rollback)
#   /etc/tendero/gateway.env, site.json          written only when absent
#   /var/lib/tendero/gateway                     durable log and state, never touched
#   /var/log/tendero/gateway.log                 rotated by /etc/logrotate.d/tendero-gateway
#
# For tests and image builds (the defaults are the production path):
#   TENDERO_ROOT=/tmp/x        install under this prefix instead of /
#   TENDERO_NO_SYSTEMD=1       no systemctl calls
#   TENDERO_NO_USERADD=1       do not create the service user (also skipped when not root)
#   TENDERO_USER=tendero       the service user and group
#   TENDERO_NODE=/usr/bin/node the Node.js binary to check and to run
set -euo pipefail

ROOT="${TENDERO_ROOT:-/}"
ROOT="${ROOT%/}"
SERVICE_USER="${TENDERO_USER:-tendero}"
NODE_BIN="${TENDERO_NODE:-$(command -v node || true)}"
OPT="$ROOT/opt/tendero/gateway"
ETC="$ROOT/etc/tendero"
DATA="$ROOT/var/lib/tendero/gateway"
LOGS="$ROOT/var/log/tendero"
UNIT_DIR="$ROOT/etc/systemd/system"
LOGROTATE_DIR="$ROOT/etc/logrotate.d"
UNIT=tendero-gateway.service
# A release being unpacked or copied; removed if the script stops half way.
STAGED=""
trap '[ -z "$STAGED" ] || rm -rf "$STAGED"' EXIT

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

is_root() { [ "$(id -u)" -eq 0 ]; }

run_systemctl() {
  if [ "${TENDERO_NO_SYSTEMD:-0}" = 1 ]; then
    say "skipped (TENDERO_NO_SYSTEMD=1): systemctl $*"
  else
    systemctl "$@"
  fi
}

# Replaces symlink $1 with one to $2 by rename(2), so `current` is never missing or half-made.
switch_link() {
  local link="$1" target="$2" tmp
  tmp="$(dirname "$link")/.$(basename "$link").tmp.$$"
  ln -sfn "$target" "$tmp"
  mv -fT "$tmp" "$link"
}

release_field() { # release_field <dir> <key>
  sed -n "s/^$2=//p" "$1/RELEASE" | head -n 1
}

check_node() {
  if [ -z "$NODE_BIN" ] || [ ! -x "$NODE_BIN" ]; then
    cat >&2 <<'MSG'
error: Node.js >= 20.19 is required and was not found.
       Se necesita Node.js 20.19 o posterior y no está instalado.
  Debian 13 (trixie):  sudo apt install nodejs
  Debian 12 (bookworm) ships Node 18, too old; use NodeSource:
    curl -fsSL https://deb.nodesource.com/setup_22.x | sudo bash -
    sudo apt install nodejs
  Then run this installer again. / Luego vuelva a ejecutar este instalador.
MSG
    exit 1
  fi
  local version
  version="$("$NODE_BIN" -p process.versions.node 2>/dev/null)" || die "cannot run $NODE_BIN"
  if ! "$NODE_BIN" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    die "Node.js $version is too old; 20.19 or later is needed (Node.js $version es muy viejo; se necesita 20.19 o posterior). See https://deb.nodesource.com"
  fi
  say "Node.js $version ($NODE_BIN)"
}

# The native modules (better-sqlite3, serialport) only load on the arch and Node ABI they were built for.
check_release_fits() {
  local dir="$1" abi arch
  [ -f "$dir/RELEASE" ] && [ -f "$dir/dist/main.mjs" ] || die "$dir is not a gateway release (no RELEASE or dist/main.mjs)"
  abi="$(release_field "$dir" node_abi)"
  arch="$(release_field "$dir" arch)"
  local here_abi here_arch
  here_abi="$("$NODE_BIN" -p process.versions.modules)"
  here_arch="$("$NODE_BIN" -p process.arch)"
  if [ "$abi" != "$here_abi" ] || [ "$arch" != "$here_arch" ]; then
    die "release built for Node ABI $abi on $arch, this machine runs ABI $here_abi on $here_arch. Build the release with the same Node major on the same arch (or on this appliance): node deploy/appliance/build-release.mjs"
  fi
}

ensure_user() {
  if [ "${TENDERO_NO_USERADD:-0}" = 1 ]; then
    say "skipped (TENDERO_NO_USERADD=1): service user $SERVICE_USER"
  elif ! is_root; then
    warn "not root: the service user $SERVICE_USER is not created"
  elif getent passwd "$SERVICE_USER" >/dev/null; then
    say "user $SERVICE_USER exists"
  else
    useradd --system --user-group --home-dir /var/lib/tendero --no-create-home \
      --shell /usr/sbin/nologin --comment "Tendero gateway" "$SERVICE_USER"
    say "created system user $SERVICE_USER"
  fi
}

# chown only where it can work: as root, and when the user exists.
own() { # own <user:group> <path>...
  local owner="$1"
  shift
  if is_root && getent passwd "${owner%%:*}" >/dev/null && getent group "${owner##*:}" >/dev/null; then
    chown "$owner" "$@"
  fi
}

# Copies a release (directory or tarball) to releases/<version>; an existing identical
# release is kept as is, so running the installer twice changes nothing.
install_release() {
  local src="$1" version dest
  mkdir -p "$OPT/releases"
  if [ -f "$src" ]; then
    # Unpacked next to its final place (same file system), so putting it there is a rename.
    STAGED="$(mktemp -d "$OPT/releases/.unpack.XXXXXX")"
    tar -xzf "$src" -C "$STAGED"
    src="$(find "$STAGED" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    [ -n "$src" ] || die "the tarball holds no release directory"
  fi
  check_release_fits "$src"
  version="$(release_field "$src" version)"
  [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] || die "bad version in $src/RELEASE: '$version'"
  dest="$OPT/releases/$version"
  if [ -d "$dest" ] && cmp -s "$src/RELEASE" "$dest/RELEASE"; then
    say "release $version already installed"
  else
    if [ -z "$STAGED" ]; then
      STAGED="$(mktemp -d "$OPT/releases/.copy.XXXXXX")"
      cp -a "$src" "$STAGED/release"
      src="$STAGED/release"
    fi
    # Nothing under /opt may be writable by the service user or anyone but root.
    chmod -R u+rwX,go+rX,go-w "$src"
    own root:root -R "$src"
    rm -rf "$dest"
    mv -T "$src" "$dest"
    say "installed release $version in $dest"
  fi
  [ -z "$STAGED" ] || rm -rf "$STAGED"
  STAGED=""
  INSTALLED_VERSION="$version"
  INSTALLED_DIR="$dest"
}

install_config() {
  local release="$1"
  mkdir -p "$ETC"
  chmod 0750 "$ETC"
  own "root:$SERVICE_USER" "$ETC"
  # The shipped example always lands beside the real file, so an upgrade shows new settings.
  install -m 0640 "$release/appliance/gateway.env.example" "$ETC/gateway.env.dist"
  install -m 0640 "$release/appliance/site.example.json" "$ETC/site.json.dist"
  own "root:$SERVICE_USER" "$ETC/gateway.env.dist" "$ETC/site.json.dist"
  local file
  for file in gateway.env site.json; do
    if [ -e "$ETC/$file" ]; then
      say "kept $ETC/$file (new example: $file.dist / se conserva su configuración)"
    else
      install -m 0640 "$ETC/$file.dist" "$ETC/$file"
      own "root:$SERVICE_USER" "$ETC/$file"
      say "wrote $ETC/$file: edit it, then restart (edítelo y reinicie el servicio)"
    fi
  done
}

install_dirs() {
  # Created here too (systemd's StateDirectory/LogsDirectory would), so the layout is
  # complete before the first start and under a test prefix. Never emptied.
  mkdir -p "$DATA" "$LOGS"
  chmod 0750 "$ROOT/var/lib/tendero" "$DATA" "$LOGS"
  own "$SERVICE_USER:$SERVICE_USER" "$ROOT/var/lib/tendero" "$DATA" "$LOGS"
}

install_units() {
  local release="$1" unit_text
  mkdir -p "$UNIT_DIR" "$LOGROTATE_DIR"
  unit_text="$(cat "$release/appliance/tendero-gateway.service")"
  # The unit names /usr/bin/node; point it at the Node.js that passed the check.
  if [ "$NODE_BIN" != /usr/bin/node ] && [ "$ROOT" = "" ]; then
    unit_text="${unit_text//ExecStart=\/usr\/bin\/node /ExecStart=$NODE_BIN }"
  fi
  printf '%s\n' "$unit_text" >"$UNIT_DIR/$UNIT.tmp.$$"
  chmod 0644 "$UNIT_DIR/$UNIT.tmp.$$"
  mv -f "$UNIT_DIR/$UNIT.tmp.$$" "$UNIT_DIR/$UNIT"
  install -m 0644 "$release/appliance/logrotate/tendero-gateway" "$LOGROTATE_DIR/tendero-gateway"
  say "installed $UNIT_DIR/$UNIT and $LOGROTATE_DIR/tendero-gateway"
}

# Keeps current and previous; older releases go.
prune_releases() {
  local keep_current keep_previous dir
  keep_current="$(readlink "$OPT/current" 2>/dev/null || true)"
  keep_previous="$(readlink "$OPT/previous" 2>/dev/null || true)"
  for dir in "$OPT"/releases/*/; do
    dir="${dir%/}"
    [ -d "$dir" ] || continue
    case "releases/$(basename "$dir")" in
      "$keep_current" | "$keep_previous") ;;
      *) rm -rf "$dir" && say "removed old release $(basename "$dir")" ;;
    esac
  done
}

restart_service() {
  run_systemctl daemon-reload
  run_systemctl enable "$UNIT"
  run_systemctl restart "$UNIT"
  if [ "${TENDERO_NO_SYSTEMD:-0}" != 1 ]; then
    sleep 2
    if systemctl is-active --quiet "$UNIT"; then
      say "$UNIT is running / el servicio está en marcha"
    else
      warn "$UNIT did not stay up; see: journalctl -u $UNIT -n 50 and $LOGS/gateway.log"
      exit 1
    fi
  fi
}

do_install() {
  local src="$1" before
  check_node
  ensure_user
  install_release "$src"
  install_config "$INSTALLED_DIR"
  install_dirs
  install_units "$INSTALLED_DIR"
  before="$(readlink "$OPT/current" 2>/dev/null || true)"
  if [ "$before" = "releases/$INSTALLED_VERSION" ]; then
    say "current already is $INSTALLED_VERSION"
  else
    [ -z "$before" ] || switch_link "$OPT/previous" "$before"
    switch_link "$OPT/current" "releases/$INSTALLED_VERSION"
    say "current -> $INSTALLED_VERSION${before:+ (previous: ${before#releases/})}"
  fi
  prune_releases
  restart_service
  say "done. Health: curl http://127.0.0.1:8090/health"
}

do_rollback() {
  local current previous
  current="$(readlink "$OPT/current" 2>/dev/null || true)"
  previous="$(readlink "$OPT/previous" 2>/dev/null || true)"
  [ -n "$previous" ] && [ -d "$OPT/$previous" ] || die "no previous release to roll back to (no hay una versión anterior)"
  check_node
  check_release_fits "$OPT/$previous"
  switch_link "$OPT/current" "$previous"
  [ -z "$current" ] || switch_link "$OPT/previous" "$current"
  say "rolled back: current -> ${previous#releases/}${current:+ (previous: ${current#releases/})}"
  install_units "$OPT/$previous"
  restart_service
}

main() {
  local rollback=0 src=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --rollback) rollback=1 ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) [ -z "$src" ] || die "one release at a time"; src="$1" ;;
    esac
    shift
  done
  if [ "$ROOT" = "" ] && ! is_root; then
    die "run as root: sudo $0 $* (ejecute como root)"
  fi
  if [ "$rollback" = 1 ]; then
    do_rollback
    return
  fi
  if [ -z "$src" ]; then
    # Shipped inside a release: <release>/appliance/install.sh.
    src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    [ -f "$src/RELEASE" ] || die "give a release tarball or directory (build one with: node deploy/appliance/build-release.mjs)"
  fi
  [ -e "$src" ] || die "$src does not exist"
  do_install "$src"
}

main "$@"
