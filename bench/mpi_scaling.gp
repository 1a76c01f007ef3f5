# bench/mpi's plot: projected parallel efficiency of a 512-row global batch against
# ranks for three networks, with the ranks measured on one machine.
# gnuplot -e "dir='bench/results'" -e "out='docs/mpi_scaling.png'" bench/mpi_scaling.gp
set terminal pngcairo size 900,520 font ",10"
set output out
set logscale x 2
set xrange [1:256]
set yrange [0:1.05]
set xlabel "ranks (one BLAS thread each)"
set ylabel "parallel efficiency, global batch of 512 rows"
set key outside right
set grid
set title "libmlp-mpi: projected strong scaling (lines) and measured on one 2-core machine (points)"
plot for [i=0:2] dir.'/mpi_projection.dat' index i using 1:2 with linespoints dt 1 lw 2 \
         title 'mnist, '.word("10 25 100", i+1).' Gbit/s', \
     for [i=3:5] dir.'/mpi_projection.dat' index i using 1:2 with linespoints dt 2 lw 2 \
         title 'wide, '.word("10 25 100", i-2).' Gbit/s', \
     dir.'/mpi_measured.dat' index 0 using 1:2 with points pt 7 ps 1.5 title 'mnist, measured', \
     dir.'/mpi_measured.dat' index 1 using 1:2 with points pt 9 ps 1.5 title 'wide, measured'
