# Plot the curves small_data writes: gnuplot -e "curves='small_data.dat'" small_data.gp
# writes small_data.png, the training and validation MSE of each method per iteration.
if (!exists("curves")) curves = 'small_data.dat'
if (!exists("out")) out = 'small_data.png'
set terminal pngcairo size 900,520 font ",11"
set output out
set logscale xy
set xlabel "iteration (Adam: epoch of mini-batches)"
set ylabel "MSE, standardized target"
set key top right
set grid
set title "US macro data, 11-8-1 tanh: three optimizers from the same start"
names = "Adam L-BFGS LM"
plot for [i=0:2] curves index i using 1:2 with lines lw 2 lc i+1 dt 2 \
         title word(names, i + 1) . " train", \
     for [i=0:2] curves index i using 1:3 with lines lw 2 lc i+1 \
         title word(names, i + 1) . " validation"
