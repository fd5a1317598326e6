# SPDX-License-Identifier: GPL-2.0-or-later
# gnuplot -e "datafile='results.tsv'; outfile='bench.png'" bench/plot.gp
# results.tsv: N, operation, nvmetcfg ms, writes, floor ms, floor writes, parallel floor ms (or -),
# nvmetcfg --jobs 1 ms (or -) (bench/run.sh)
set terminal pngcairo size 1100,680 font ",10"
set output outfile
set title "nvmetcfg against the configfs syscall floor (qemu TCG guest, Debian 6.12 kernel); median ms"
set xlabel "subsystems (N)"
set ylabel "milliseconds"
set logscale xy
set grid
set key outside right top
set datafile separator "\t"
# nvmetcli (upstream) restoring the same target in the same kind of guest, from issue 8
$nvmetcli << EOD
1	2914	2052
100	2232	4891
1000	7428	26630
EOD
ops = "cold reapply change show moveall clear"
names = "'apply (empty target)' 'apply again (no change)' 'apply (1 namespace changed)' 'show' 'apply (every namespace moved)' 'clear'"
set datafile missing "-"
plot for [i=1:6] datafile using (strcol(2) eq word(ops, i) ? $1 : NaN):3 with linespoints lw 2 lc i \
	title word(names, i), \
     for [i=1:6] datafile using (strcol(2) eq word(ops, i) ? $1 : NaN):5 with linespoints dt 2 lc i \
	title word(names, i)." floor", \
     for [i=5:6] datafile using (strcol(2) eq word(ops, i) ? $1 : NaN):7 with linespoints dt 3 lc i \
	title word(names, i)." parallel floor", \
     $nvmetcli using 1:2 with points pt 7 ps 1.5 lc rgb "black" title "nvmetcli restore (empty)", \
     $nvmetcli using 1:3 with points pt 5 ps 1.5 lc rgb "gray40" title "nvmetcli restore again"
