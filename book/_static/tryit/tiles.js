// Tile layout and padding, ported from deepdenoise.inference (tile_layout, _plan_tiles,
// _windows and the reflect padding of denoise). tests/test_tryit_js.py runs this file
// under node and compares it with the Python functions.

/** Throw unless value is an integer >= minimum (the Python check_*_int helpers). */
function checkInt(value, name, minimum) {
  if (!Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${value}`);
  }
  if (value < minimum) {
    const what = minimum === 0 ? "non-negative" : "positive";
    throw new RangeError(`${name} must be ${what}, got ${value}`);
  }
  return value;
}

/**
 * Place tiles along one axis so that every kept pixel sees full context.
 *
 * The port of deepdenoise.inference.tile_layout: the tile covers
 * [start, start + min(tile, length)) and its output is kept on [keepStart, keepStop).
 * The kept intervals partition [0, length); each lies at least `overlap` pixels inside
 * its tile, except where the tile touches the border of the axis.
 *
 * @param {number} length - Length of the (padded) axis.
 * @param {number} tile - Tile length.
 * @param {number} overlap - Margin discarded on each inner side; tile > 2 * overlap.
 * @returns {Array<[number, number, number]>} [start, keepStart, keepStop] per tile.
 * @example
 * tileLayout(10, 6, 1); // [[0, 0, 5], [4, 5, 10]]
 */
export function tileLayout(length, tile, overlap) {
  checkInt(length, "length", 1);
  checkInt(tile, "tile", 1);
  checkInt(overlap, "overlap", 0);
  if (tile <= 2 * overlap) {
    throw new RangeError(`tile must be larger than 2 * overlap = ${2 * overlap}, got ${tile}`);
  }
  const size = Math.min(tile, length);
  const layout = [];
  let keepStart = 0;
  while (keepStart < length) {
    const start = Math.min(Math.max(keepStart - overlap, 0), length - size);
    const stop = start + size;
    const keepStop = stop === length ? length : stop - overlap;
    layout.push([start, keepStart, keepStop]);
    keepStart = keepStop;
  }
  return layout;
}

/** The smallest multiple of `multiple` that is >= value. */
export function roundUp(value, multiple) {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Everything denoise() decides before running a model with an integer tile.
 *
 * As inference.denoise with `tile` an int: the image is padded at the bottom and right
 * to multiples of `multiple`; the overlap is rounded up to a multiple of it, the tile
 * down; tiles then follow tileLayout on each padded axis, rows outer, columns inner.
 *
 * @param {number} height - Image height.
 * @param {number} width - Image width.
 * @param {{tile: number, overlap: number, multiple: number}} options
 * @returns {{paddedHeight: number, paddedWidth: number, tile: number, overlap: number,
 *   windows: Array<{row: number[], col: number[]}>}}
 */
export function planTiles(height, width, { tile, overlap, multiple }) {
  checkInt(height, "height", 1);
  checkInt(width, "width", 1);
  checkInt(tile, "tile", 1);
  checkInt(overlap, "overlap", 0);
  checkInt(multiple, "multiple", 1);
  const roundedOverlap = roundUp(overlap, multiple);
  const size = Math.floor(tile / multiple) * multiple;
  if (size <= 2 * roundedOverlap) {
    throw new RangeError(
      `tile must be larger than 2 * overlap = ${2 * roundedOverlap} after rounding to ` +
        `multiples of ${multiple}, got tile ${size}`,
    );
  }
  const paddedHeight = roundUp(height, multiple);
  const paddedWidth = roundUp(width, multiple);
  const rows = tileLayout(paddedHeight, size, roundedOverlap);
  const cols = tileLayout(paddedWidth, size, roundedOverlap);
  const windows = [];
  for (const row of rows) {
    for (const col of cols) {
      windows.push({ row, col });
    }
  }
  return { paddedHeight, paddedWidth, tile: size, overlap: roundedOverlap, windows };
}

/**
 * The source index of padded position `index` on an axis of `length` samples.
 *
 * numpy.pad's "reflect" mode (the edge sample is not repeated), or "edge" when
 * `edge` is true: denoise pads by reflection unless the image is one pixel thin.
 *
 * @param {number} index - Position on the padded axis (0 <= index).
 * @param {number} length - Unpadded length of the axis.
 * @param {boolean} edge - Repeat the edge sample instead of reflecting.
 * @returns {number} An index in [0, length).
 */
export function padIndex(index, length, edge) {
  if (index < length) {
    return index;
  }
  if (edge || length === 1) {
    return length - 1;
  }
  const period = 2 * (length - 1);
  const folded = index % period;
  return folded < length ? folded : period - folded;
}
