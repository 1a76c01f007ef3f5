#!/usr/bin/python3
"""A PyTorch model for libmlp: trains nn.Sequential on examples/data/anes96.csv (the
party of 944 voters from eight answers) and exports it as ONNX, the scaling of the
inputs inside, so that a C program reads it with mlp_net_import_onnx() and gives it
the rows as they come. Needs Debian's python3-torch. Writes party_torch.onnx (the
copy in examples/data was made by this script).

    /usr/bin/python3 examples/torch_party.py [OUT.onnx]
"""
import csv
import os
import sys

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'data', 'anes96.csv')) as f:
    rows = list(csv.reader(f))[1:]
classes = sorted({r[-1] for r in rows})  # Democrat, Independent, Republican
x = torch.tensor([[float(v) for v in r[:-1]] for r in rows])
y = torch.tensor([classes.index(r[-1]) for r in rows])


class Standardize(nn.Module):
    """(x - mean) / std: exported as Sub and Div, which libmlp reads as its input scaling."""

    def __init__(self, data):
        super().__init__()
        self.register_buffer('mean', data.mean(0))
        self.register_buffer('std', data.std(0))

    def forward(self, v):
        return (v - self.mean) / self.std


torch.manual_seed(1)
model = nn.Sequential(Standardize(x), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(200):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
model.append(nn.Softmax(dim=1))  # probabilities, as libmlp's classifiers give them
model.eval()
out = sys.argv[1] if len(sys.argv) > 1 else 'party_torch.onnx'
torch.onnx.export(model, x[:1], out, opset_version=17, input_names=['input'],
                  output_names=['output'], dynamic_axes={'input': {0: 'rows'}, 'output': {0: 'rows'}})
accuracy = (model(x).argmax(1) == y).float().mean().item()
print('%s: training accuracy %.3f; classes %s' % (out, accuracy, ', '.join(classes)))
