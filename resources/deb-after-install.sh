#!/bin/sh
# deb postinst (electron-builder afterInstall): install the helper's systemd unit and polkit
# policy from the package's resources. The helper is not started: the user enables it
# (`systemctl enable --now treewall-helper`) or the app starts it on demand through pkexec.
set -e
opt=/opt/treewall
resources="$opt/resources"
chmod 0755 "$resources/treewall-helper"
# The `treewall` command: CLI commands (and the fleet's `treewall helper-bridge` over ssh) run as
# plain Node, anything else opens the app (see resources/treewall).
install -m 0755 "$resources/treewall" /usr/bin/treewall
# The helper's socket is root:treewall 0660: members of this group may apply rules.
getent group treewall >/dev/null || groupadd --system treewall
install -m 0644 "$resources/treewall-helper.service" /lib/systemd/system/treewall-helper.service
install -d /usr/share/polkit-1/actions
install -m 0644 "$resources/org.treewall.helper.policy" /usr/share/polkit-1/actions/org.treewall.helper.policy
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
# What electron-builder's own postinst does, which this script replaces: Chromium's sandbox needs
# the setuid chrome-sandbox only where unprivileged user namespaces are off (else the app would not
# start there); the desktop entry's MimeType (application/x-treewall) reaches file managers once
# the desktop and MIME databases are rebuilt.
# (This runs as root, for whom `unshare --user` always works: read the switches that turn user
# namespaces off for everyone else instead.)
sysctl_is() { [ "$(cat "/proc/sys/$1" 2>/dev/null)" = "$2" ]; }
if [ -e "$opt/chrome-sandbox" ]; then
  if [ ! -L /proc/self/ns/user ] || sysctl_is kernel/unprivileged_userns_clone 0 ||
    sysctl_is user/max_user_namespaces 0 || sysctl_is kernel/apparmor_restrict_unprivileged_userns 1; then
    chmod 4755 "$opt/chrome-sandbox" || true
  else
    chmod 0755 "$opt/chrome-sandbox" || true
  fi
fi
if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database /usr/share/mime || true
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database /usr/share/applications || true
fi
