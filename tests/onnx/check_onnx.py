#!/usr/bin/python3
"""check_onnx.py DIR: ONNX's own checker (python3-onnx) on every model make_models
wrote, with its full check (shape inference through the graph); and what the models
say of themselves: opset 17, IR version 8, an input "input" and an output "output" of
the network's type and widths, and the metadata (precision, class labels, column
names) that the library documents. Exit 77 (skipped) without python3-onnx."""
import os
import sys

try:
    import onnx
    from onnx import TensorProto
except ImportError:
    print('skipped: python3-onnx is not installed (apt-get install python3-onnx)')
    sys.exit(77)


def dims(value_info):
    shape = value_info.type.tensor_type.shape
    return [d.dim_param if d.HasField('dim_param') else d.dim_value for d in shape.dim]


def main():
    d = sys.argv[1]
    names = open(os.path.join(d, 'models.txt')).read().split()
    bad = 0
    for name in names:
        m = onnx.load(os.path.join(d, name + '.onnx'))
        onnx.checker.check_model(m, full_check=True)
        rows, n_in, n_out, precision = open(os.path.join(d, name + '.txt')).readline().split()
        want = TensorProto.FLOAT if precision == 'float32' else TensorProto.DOUBLE
        meta = {p.key: p.value for p in m.metadata_props}
        problems = []
        if [(o.domain, o.version) for o in m.opset_import] != [('', 17)]:
            problems.append('opset %s' % m.opset_import)
        if m.ir_version != 8:
            problems.append('IR version %d' % m.ir_version)
        for v, name_, width in ((m.graph.input, 'input', n_in), (m.graph.output, 'output', n_out)):
            if len(v) != 1 or v[0].name != name_ or v[0].type.tensor_type.elem_type != want \
                    or dims(v[0]) != ['N', int(width)]:
                problems.append('%s: %s' % (name_, v))
        if meta.get('libmlp.precision') != precision:
            problems.append('libmlp.precision %r' % meta.get('libmlp.precision'))
        # what make_models.c set
        if name.startswith('classifier'):
            labels = [meta.get('libmlp.class.%d' % c) for c in range(4)]
            if labels != ['setosa', 'versicolor', 'virginica', '\u00fcnic\u00f6de'] or \
                    'libmlp.class.4' in meta:
                problems.append('class labels %r' % labels)
            if meta.get('libmlp.input.4') != 'col 4' or 'libmlp.input.5' in meta:
                problems.append('input names')
            if meta.get('libmlp.input_scaling') != 'standard':
                problems.append('input scaling %r' % meta.get('libmlp.input_scaling'))
        if name.startswith('kinds') and meta.get('libmlp.output_scaling') != 'minmax':
            problems.append('output scaling %r' % meta.get('libmlp.output_scaling'))
        if not meta.get('libmlp.provenance', '').startswith('trained'):
            problems.append('provenance %r' % meta.get('libmlp.provenance'))
        ops = sorted({n.op_type for n in m.graph.node})
        print('%-24s checker: valid; %3d nodes (%s)%s' % (
            name, len(m.graph.node), ' '.join(ops), '; ' + '; '.join(problems) if problems else ''))
        bad += bool(problems)
    print('%d models, %d with problems' % (len(names), bad))
    return 1 if bad or len(names) < 30 else 0


if __name__ == '__main__':
    sys.exit(main())
