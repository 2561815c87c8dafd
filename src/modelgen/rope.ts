/**
 * Rotary position embedding tables, Hugging Face "rotate_half" layout: head dimension i and i + hd/2 form
 * a pair rotated by angle position · theta^(-2i/hd). The graph gathers rows of these tables by position id;
 * the reference forward pass uses the same numbers in float64.
 */
export interface RopeTables {
  /** [maxPositions, headDim/2], row-major. */
  cos: Float64Array;
  sin: Float64Array;
}

export function ropeTables(maxPositions: number, headDim: number, theta: number): RopeTables {
  const half = headDim / 2;
  const cos = new Float64Array(maxPositions * half);
  const sin = new Float64Array(maxPositions * half);
  for (let pos = 0; pos < maxPositions; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * theta ** ((-2 * i) / headDim);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
