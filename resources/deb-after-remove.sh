#!/bin/sh
# deb postrm (electron-builder afterRemove): stop and remove the helper's unit and policy.
# The firewall rules the helper applied stay in force (remove them first with `treewall stop`).
set -e
if [ -d /run/systemd/system ]; then
  systemctl disable --now treewall-helper.service 2>/dev/null || true
fi
rm -f /usr/bin/treewall /lib/systemd/system/treewall-helper.service /usr/share/polkit-1/actions/org.treewall.helper.policy
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
