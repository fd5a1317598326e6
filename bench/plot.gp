# SPDX-License-Identifier: GPL-2.0-or-later
# gnuplot -e "datafile='results.tsv'; outfile='bench.png'" bench/plot.gp
# results.tsv: N, operation, nvmetcfg ms, writes, floor ms, floor writes (bench/run.sh)
set terminal pngcairo size 1000,640 font ",10"
set output outfile
set title "nvmetcfg against the configfs syscall floor (qemu TCG guest, Debian 6.12 kernel)"
set xlabel "subsystems (N)"
set ylabel "milliseconds (median)"
set logscale xy
set grid
set key outside right top
set datafile separator "\t"
ops = "cold reapply change show clear"
names = "'apply (empty target)' 'apply again (no change)' 'apply (1 namespace changed)' 'show' 'clear'"
plot for [i=1:5] datafile using (strcol(2) eq word(ops, i) ? $1 : NaN):3 with linespoints lw 2 lc i \
	title word(names, i), \
     for [i=1:5] datafile using (strcol(2) eq word(ops, i) ? $1 : NaN):5 with linespoints dt 2 lc i \
	title word(names, i)." floor"
