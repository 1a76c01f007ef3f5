#!/usr/bin/python3
"""make_torch_fixtures.py DIR: the ONNX files PyTorch writes, for mlp_net_import_onnx's
test (tests/test_onnx.c): networks of every layer kind and activation libmlp reads,
of several widths and depths, with and without biases, exported by torch.onnx.export
(opset 17, and 14 where a LayerNorm is written as ReduceMean, Sub, Pow, ...), and what
PyTorch predicts for fixed rows. For each NAME: NAME.onnx and NAME.txt, whose first line
is "rows inputs outputs precision", then the rows and PyTorch's predictions, one value
a line, 17 digits; DIR/fixtures.txt lists the names. The files are committed (in
tests/data/onnx/): this script is how they were made (Debian's python3-torch 1.13,
python3-onnx 1.12), rerun only to change them."""
import os
import sys
import warnings

import torch
from torch import nn

warnings.filterwarnings('ignore')  # torch.onnx's notes on constant folding


def fixtures():
    """(name, module, inputs, opset, float64): the module in eval mode."""
    torch.manual_seed(20261207)
    out = []
    out.append(('relu', nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)), 4, 17, 0))
    out.append(('tanh_sigmoid_nobias',
                nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8, bias=False), nn.Sigmoid(),
                              nn.Linear(8, 2)), 5, 17, 0))
    out.append(('leaky_elu_softplus',
                nn.Sequential(nn.Linear(3, 10), nn.LeakyReLU(), nn.Linear(10, 10), nn.ELU(),
                              nn.Linear(10, 6), nn.Softplus(), nn.Linear(6, 1)), 3, 17, 0))
    out.append(('gelu_silu',
                nn.Sequential(nn.Linear(6, 12), nn.GELU(), nn.Linear(12, 12),
                              nn.GELU(approximate='tanh'), nn.Linear(12, 12), nn.SiLU(),
                              nn.Linear(12, 4)), 6, 17, 0))
    ln = nn.Sequential(nn.Flatten(), nn.Linear(8, 16), nn.LayerNorm(16), nn.ReLU(), nn.Dropout(0.2),
                       nn.Linear(16, 5), nn.Softmax(dim=1))
    with torch.no_grad():  # gains and biases that are not 1 and 0
        ln[2].weight.uniform_(0.5, 1.5)
        ln[2].bias.uniform_(-0.5, 0.5)
    out.append(('layernorm', ln, 8, 17, 0))
    out.append(('layernorm_opset14', ln, 8, 14, 0))
    bn = nn.Sequential(nn.Linear(7, 12), nn.BatchNorm1d(12), nn.ReLU(),
                       nn.Linear(12, 12, bias=False), nn.BatchNorm1d(12), nn.Tanh(),
                       nn.Linear(12, 3))
    bn.train()  # running statistics that are not 0 and 1
    with torch.no_grad():
        for _ in range(5):
            bn(torch.randn(32, 7) * 3 + 1)
    out.append(('batchnorm', bn, 7, 17, 0))
    deep = [nn.Linear(32, 64), nn.ReLU()]
    for _ in range(3):
        deep += [nn.Linear(64, 64), nn.ReLU()]
    out.append(('deep', nn.Sequential(*deep, nn.Linear(64, 10), nn.Softmax(dim=-1)), 32, 17, 0))
    out.append(('float64', nn.Sequential(nn.Linear(4, 9), nn.Tanh(), nn.Linear(9, 9), nn.ReLU(),
                                         nn.Linear(9, 2)).double(), 4, 17, 1))
    norms64 = nn.Sequential(nn.Linear(4, 9), nn.BatchNorm1d(9), nn.SiLU(), nn.Linear(9, 6),
                            nn.LayerNorm(6), nn.Tanh(), nn.Linear(6, 2)).double()
    norms64.train()
    with torch.no_grad():
        for _ in range(5):
            norms64(torch.randn(32, 4, dtype=torch.float64) * 2 - 1)
    out.append(('float64_norms', norms64, 4, 17, 1))
    return out


def main():
    d = sys.argv[1]
    names = []
    torch.manual_seed(7)
    for name, m, n_in, opset, f64 in fixtures():
        m.eval()
        x = torch.randn(16, n_in) * 2
        if f64:
            x = x.double()
        with torch.no_grad():
            y = m(x)
        torch.onnx.export(m, x, os.path.join(d, name + '.onnx'), opset_version=opset,
                          input_names=['input'], output_names=['output'],
                          dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
        with open(os.path.join(d, name + '.txt'), 'w') as f:
            f.write('%d %d %d %s\n' % (x.shape[0], n_in, y.shape[1], 'float64' if f64 else 'float32'))
            for v in x.flatten().tolist() + y.flatten().tolist():
                f.write('%.17g\n' % v)
        names.append(name)
    with open(os.path.join(d, 'fixtures.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')


if __name__ == '__main__':
    main()
