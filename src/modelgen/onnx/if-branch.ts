/**
 * A GraphBuilder as one branch of an ONNX If node. A branch has no inputs: it reads the outer graph's inputs
 * and weights by name. Every other value and node name gets the branch's prefix, so two branches built by the
 * same builder code never collide with each other or with the outer graph; the branch's small constants stay
 * in it as inline initializers, while its weights must be the outer graph's.
 */
import type { GraphBuilder } from './graph-builder.js';
import { INLINE_MAX_BYTES } from './model-writer.js';
import type { GraphMessage, TensorMessage } from './onnx-proto.js';

/**
 * `outer`: the names the branch may read from the outer graph (its inputs and weights). The branch's outputs
 * are the builder's declared outputs, in order, under their prefixed names.
 */
export function ifBranch(g: GraphBuilder, prefix: string, outer: ReadonlySet<string>): GraphMessage {
  const local = (name: string) => {
    if (name === '' || outer.has(name)) return name;
    return name.startsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
  };
  const initializer: TensorMessage[] = [];
  for (const init of g.initializers) {
    if (outer.has(init.name)) continue;
    const rawData = init.bytes();
    if (rawData.byteLength > INLINE_MAX_BYTES) {
      throw new Error(`branch ${prefix}: ${init.name} is a weight the outer graph lacks`);
    }
    initializer.push({ name: local(init.name), dims: init.dims, dataType: init.dataType, rawData });
  }
  return {
    name: prefix,
    node: g.nodes.map((node) => ({
      ...node,
      name: local(node.name),
      input: node.input.map(local),
      output: node.output.map(local),
    })),
    initializer,
    input: [],
    output: g.outputs.map((info) => ({ ...info, name: local(info.name) })),
  };
}
