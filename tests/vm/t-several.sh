#!/bin/bash
# Several guest test scripts in one boot (a boot under TCG costs more than many a test): each runs
# as it would alone, "script[:arg[:arg]]", then guest_reset puts the guest back as after boot. Ends
# with the sum of their "# N passed, N failed" lines; a script that prints none counts as a failure.
# Usage: t-several.sh t-guide.sh:rdma t-guide.sh:tcp t-malloc.sh ...
. "$(dirname "$0")/guest-lib.sh"
dir=$(dirname "$0")
pass=0 fail=0
for spec in "$@"; do
	IFS=: read -r -a argv <<<"$spec"
	echo "# === ${argv[*]}"
	t0=$SECONDS
	bash "$dir/${argv[0]}" "${argv[@]:1}" 2>&1 | tee $T/several.out; rc=${PIPESTATUS[0]}
	echo "# --- ${argv[*]}: $((SECONDS - t0)) s"
	line=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' $T/several.out | tail -n1)
	if [[ -z $line ]]; then
		echo "not ok - ${argv[*]}: no result (exit $rc)"; fail=$((fail + 1))
	else
		read -r p f <<<"$(sed 's/^# \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/' <<<"$line")"
		pass=$((pass + p)) fail=$((fail + f))
	fi
	guest_reset || { echo "not ok - the guest could not be reset after ${argv[*]}"; fail=$((fail + 1)); }
done
echo "# $pass passed, $fail failed"
((fail == 0))
