#!/bin/sh
# deb postinst (electron-builder afterInstall): install the helper's systemd unit and polkit
# policy from the package's resources. The helper is not started: the user enables it
# (`systemctl enable --now treewall-helper`) or the app starts it on demand through pkexec.
set -e
resources=/opt/treewall/resources
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
