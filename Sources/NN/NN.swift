/// NN: layers built from a WeightStore scope (Linear, Conv2d, GroupNorm, Attention, ResnetBlock2D, …).
