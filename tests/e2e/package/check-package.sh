#!/bin/bash
# The package checks, run once at boot of the test container by
# rsd-package-check.service: install the .deb as an administrator does on a
# fresh Debian 12, look at what it put in place (unit, shipped configuration,
# man pages, journal catalog, conffile), check that it neither started nor
# enabled the crawler, enable it as the README says and purge it again.
# The container has no network: apt finds the package's dependencies in its
# archive cache, filled by the host (run-package.sh) before the boot.
#
# One "PASS|FAIL name detail" line per check is appended to RESULTS/results.txt
# (the host wrote its own lines first), then "END"; RESULTS/journal.txt keeps
# the journal. Every command runs under a timeout.
# usage: check-package.sh RESULTS_DIR DEB_DIR
set -uo pipefail

results=$1/results.txt journal=$1/journal.txt deb_dir=$2
PACKAGE=recipe-scraperd
UNIT=recipe-scraperd.service
DAEMON=/usr/sbin/recipe-scraperd
CONFIG=/etc/recipe-scraperd/recipe-scraperd.ini
CATALOG=/usr/lib/systemd/catalog/recipe-scraperd.catalog
ALERT_ID=c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41 # the high-calorie alert (src/journal/journal_sink.h)
EX_CONFIG=78
export DEBIAN_FRONTEND=noninteractive

# result NAME STATUS DETAIL: PASS when STATUS is 0.
result() {
	local line
	if [ "$2" -eq 0 ]; then line="PASS $1"; else line="FAIL $1"; fi
	line="$line${3:+ $3}"
	echo "$line"
	echo "$line" >>"$results"
}

# Command output as one bounded line, for a result's detail.
oneline() { tr -s '\n\t' '  ' | cut -c 1-300 | sed 's/ *$//'; }

check_install() {
	local deb out rc
	deb=$(ls "$deb_dir"/"$PACKAGE"_*.deb)
	out=$(timeout 240 apt-get install -y "$deb" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		result install 0 "$(dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}' "$PACKAGE")"
	else
		result install 1 "apt-get exit $rc: $(tail -n 4 <<<"$out" | oneline)"
	fi
}

check_unit_shown() {
	local out rc
	out=$(timeout 30 systemctl cat "$PACKAGE" 2>&1)
	rc=$?
	grep -qx "ExecStart=$DAEMON .*" <<<"$out" || rc=1
	result unit-shown $rc "$(head -n 1 <<<"$out" | oneline); $(grep -m1 '^ExecStart=' <<<"$out")"
}

# check_enablement NAME WANT: systemctl is-enabled says WANT.
check_enablement() {
	local state
	state=$(timeout 30 systemctl is-enabled "$PACKAGE" 2>&1)
	[ "$state" = "$2" ]
	result "$1" $? "is-enabled: $state"
}

# A crawler must not touch a third-party site before its operator configured
# and enabled it: the installation neither started the unit (no invocation
# ever, no process, no state directory) nor enabled it (checked apart).
check_not_started() {
	local invocation state left=""
	invocation=$(timeout 30 systemctl show -P InvocationID "$UNIT")
	state=$(timeout 30 systemctl show "$UNIT" -p ActiveState -p SubState -p InvocationID | oneline)
	[ -z "$invocation" ] || left="$left invoked"
	[ "$(timeout 30 systemctl show -P ActiveState "$UNIT")" = inactive ] || left="$left active"
	pgrep -x recipe-scraperd >/dev/null && left="$left process"
	[ -e /var/lib/private/recipe-scraperd ] && left="$left state-dir"
	[ -z "$left" ]
	result not-started $? "$state${left:+; found:$left}"
}

# What the README and recipe-scraperd(8) tell the operator to run once the
# configuration is edited.
check_enable_now() {
	local out rc
	out=$(timeout 60 systemctl enable --now "$UNIT" 2>&1)
	rc=$?
	result enable-now $rc "exit $rc${out:+: $(oneline <<<"$out")}"
}

# The operator started the unit. With the default brokers (localhost:9092,
# nothing there) it may be running and retrying, or failing and restarting:
# both are expected here; exit 78 (EX_CONFIG) would mean that the shipped
# configuration is rejected.
check_started() {
	local invocation status state
	invocation=$(timeout 30 systemctl show -P InvocationID "$UNIT")
	status=$(timeout 30 systemctl show -P ExecMainStatus "$UNIT")
	state=$(timeout 30 systemctl show "$UNIT" -p ActiveState -p SubState -p NRestarts \
		-p ExecMainStatus | oneline)
	[ -n "$invocation" ] && [ "$status" != "$EX_CONFIG" ]
	result started-without-config-error $? "$state"
}

# systemd made the unit's StateDirectory= (DynamicUser=: under private/),
# which the purge must remove.
check_state_dir() {
	[ -d /var/lib/private/recipe-scraperd ]
	result state-dir $? /var/lib/private/recipe-scraperd
}

check_shipped_config() {
	local out rc
	out=$(timeout 30 "$DAEMON" --check-config -c "$CONFIG" 2>&1)
	rc=$?
	result check-config $rc "exit $rc${out:+: $(oneline <<<"$out")}"
}

# check_man NAME SECTION: `man NAME` renders, without warnings, the page
# NAME(SECTION) whose NAME section names it.
check_man() {
	local name=$1 section=$2 out err rc
	err=$(mktemp)
	out=$(MANWIDTH=80 timeout 60 man -P cat "$name" 2>"$err")
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$err" ]; then
		rc=1
	fi
	grep -A1 '^NAME$' <<<"$out" | grep -q "^ *$name - " || rc=1
	head -n 1 <<<"$out" | grep -qF "$name($section)" || rc=1
	result "man-$name" $rc "$(wc -l <<<"$out") lines, $(head -n 1 <<<"$out" | oneline)$(
		[ -s "$err" ] && echo "; stderr: $(oneline <"$err")")"
	rm -f "$err"
}

# The man-db trigger indexed both pages (their NAME sections parse).
check_whatis() {
	local out
	out=$(timeout 30 whatis "$PACKAGE" "$PACKAGE.ini" 2>&1)
	grep -q "^$PACKAGE (8)" <<<"$out" && grep -q "^$PACKAGE.ini (5)" <<<"$out"
	result whatis $? "$(oneline <<<"$out")"
}

check_conffile() {
	dpkg -s "$PACKAGE" | sed -n '/^Conffiles:/,/^[^ ]/p' | grep -q "^ $CONFIG "
	result conffile $? "$CONFIG"
}

# systemd's dpkg trigger ran journalctl --update-catalog: every entry of the
# shipped catalog is known, the alert's among them.
check_catalog() {
	local listed ids id missing=""
	listed=$(timeout 30 journalctl --list-catalog)
	ids=$(sed -n 's/^-- \([0-9a-f]\{32\}\).*/\1/p' "$CATALOG")
	for id in $ids; do
		grep -q "^$id " <<<"$listed" || missing="$missing $id"
	done
	grep -q "^$ALERT_ID " <<<"$listed" && [ -n "$ids" ] && [ -z "$missing" ]
	result catalog $? "$(wc -w <<<"$ids") entries${missing:+, not listed:$missing}"
}

check_purge() {
	local out rc
	out=$(timeout 180 apt-get purge -y "$PACKAGE" 2>&1)
	rc=$?
	result purge $rc "apt-get exit $rc$([ $rc -ne 0 ] && echo ": $(tail -n 4 <<<"$out" | oneline)")"
	return $rc
}

# Nothing of the package is left: files, enablement symlink, state
# directory, the unit in systemd, a process (the prerm stops the running
# unit), the catalog entries, dpkg's record.
check_purged_clean() {
	local left="" path load status
	for path in "$DAEMON" /etc/recipe-scraperd "/lib/systemd/system/$UNIT" \
		"/usr/lib/systemd/system/$UNIT" "/etc/systemd/system/multi-user.target.wants/$UNIT" \
		/var/lib/private/recipe-scraperd /var/lib/recipe-scraperd "$CATALOG" \
		/usr/share/man/man8/recipe-scraperd.8.gz /usr/share/man/man5/recipe-scraperd.ini.5.gz; do
		if [ -e "$path" ] || [ -L "$path" ]; then left="$left $path"; fi
	done
	load=$(timeout 30 systemctl show -P LoadState "$UNIT")
	[ "$load" = not-found ] || left="$left unit:$load"
	pgrep -x recipe-scraperd >/dev/null && left="$left process"
	timeout 30 journalctl --list-catalog | grep -q "^$ALERT_ID " && left="$left catalog"
	status=$(dpkg-query -W -f='${db:Status-Status}' "$PACKAGE" 2>/dev/null)
	[ -z "$status" ] || [ "$status" = not-installed ] || left="$left dpkg:$status"
	[ -z "$left" ]
	result purged-clean $? "${left:+left:$left}"
}

check_install
check_unit_shown
check_enablement not-enabled disabled
check_not_started
check_enable_now
check_enablement enabled enabled
check_started
check_state_dir
check_shipped_config
check_man recipe-scraperd 8
check_man recipe-scraperd.ini 5
check_whatis
check_conffile
check_catalog
if check_purge; then
	check_purged_clean
else
	result purged-clean 1 "not purged"
fi

timeout 60 journalctl --no-pager -b -o short-monotonic >"$journal"
echo END >>"$results"
