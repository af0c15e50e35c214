// Run an exported model over an 8-bit RGBA image, one tile at a time, as
// deepdenoise.inference.denoise does with an integer tile: pad the bottom and right by
// reflection to the model's size multiple, cut overlapping tiles (tiles.js), keep each
// tile's inner part, and round the result to 8 bits. Memory stays bounded: besides the
// input and output pixels, only one tile's input and output exist at a time.

import { padIndex, planTiles } from "./tiles.js";

const f32 = Math.fround;

/** Overlap the command line uses (`deepdenoise denoise --overlap`, default 32). */
export const DEFAULT_OVERLAP = 32;

/** The run was cancelled by the reader. */
export class CancelledError extends Error {
  constructor(done, total) {
    super(`cancelled after ${done} of ${total} tiles`);
    this.name = "CancelledError";
  }
}

/** numpy.rint: round half to even. */
export function roundHalfEven(value) {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference > 0.5) return floor + 1;
  if (difference < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A float result in [0, 1] as an 8-bit level, as inference._from_float does for uint8. */
export function toByte(value) {
  const level = roundHalfEven(f32(value * 255));
  return level < 0 ? 0 : level > 255 ? 255 : level;
}

/**
 * The channel groups the model runs on: all channels at once when the model has as many,
 * else one channel at a time through a one-channel model.
 *
 * @param {number} imageChannels - 1 (gray) or 3 (RGB).
 * @param {number} modelChannels - The model's channels.
 * @returns {number[][]} Channel indices of each pass over the image.
 */
export function channelGroups(imageChannels, modelChannels) {
  const all = Array.from({ length: imageChannels }, (_, c) => c);
  if (modelChannels === imageChannels) return [all];
  if (modelChannels === 1) return all.map((c) => [c]);
  throw new RangeError(
    `the image has ${imageChannels} channel(s) but the model expects ${modelChannels}`,
  );
}

/**
 * Plan a run: tiles, overlap and number of passes.
 *
 * @param {{width: number, height: number, channels: number}} image
 * @param {{channels: number, size_multiple: number, receptive_field: number}} meta
 * @param {number} tile - Tile side in pixels (rounded down to the size multiple).
 */
export function planRun(image, meta, tile) {
  const groups = channelGroups(image.channels, meta.channels);
  const overlap = Math.max(DEFAULT_OVERLAP, meta.receptive_field || 0);
  const plan = planTiles(image.height, image.width, {
    tile,
    overlap,
    multiple: meta.size_multiple,
  });
  return { ...plan, groups, total: groups.length * plan.windows.length };
}

/**
 * Denoise an image with an ONNX Runtime session, tile by tile.
 *
 * @param {object} options
 * @param {{run: Function}} options.session - An onnxruntime-web InferenceSession.
 * @param {Function} options.Tensor - onnxruntime-web's Tensor class.
 * @param {object} options.meta - The model's JSON description (inputs, channels, ...).
 * @param {{width: number, height: number, channels: number, rgba: Uint8ClampedArray}}
 *   options.image - The 8-bit input; `channels` is 1 for gray (R = G = B).
 * @param {number|null} options.sigma - Noise level (0-255 scale) for a noise-map model.
 * @param {number} options.tile - Tile side.
 * @param {(done: number, total: number) => void} [options.onProgress]
 * @param {() => boolean} [options.cancelled] - Checked between tiles.
 * @returns {Promise<{rgba: Uint8ClampedArray, plan: object}>} The 8-bit RGBA result.
 */
export async function denoiseImage({
  session,
  Tensor,
  meta,
  image,
  sigma,
  tile,
  onProgress = () => {},
  cancelled = () => false,
}) {
  const { width, height, rgba } = image;
  const plan = planRun(image, meta, tile);
  const inputNames = meta.inputs.map((input) => input.name);
  const outputName =
    typeof meta.output === "string" ? meta.output : meta.output?.name || session.outputNames[0];
  const edge = Math.min(width, height) <= 1;
  const tileHeight = Math.min(plan.tile, plan.paddedHeight);
  const tileWidth = Math.min(plan.tile, plan.paddedWidth);
  let sigmaMap = null;
  if (meta.needs_noise_map) {
    if (!Number.isFinite(sigma)) throw new RangeError("this model needs a sigma");
    const map = new Float32Array(tileHeight * tileWidth).fill(f32(sigma / 255));
    sigmaMap = new Tensor("float32", map, [1, tileHeight, tileWidth, 1]);
  }
  const output = new Uint8ClampedArray(rgba.length);
  let done = 0;
  for (const group of plan.groups) {
    const stride = group.length;
    const input = new Float32Array(tileHeight * tileWidth * stride);
    for (const { row, col } of plan.windows) {
      if (cancelled()) throw new CancelledError(done, plan.total);
      const [rowStart, keepTop, keepBottom] = row;
      const [colStart, keepLeft, keepRight] = col;
      for (let y = 0; y < tileHeight; ++y) {
        const sourceRow = padIndex(rowStart + y, height, edge) * width;
        for (let x = 0; x < tileWidth; ++x) {
          const source = (sourceRow + padIndex(colStart + x, width, edge)) * 4;
          const target = (y * tileWidth + x) * stride;
          for (let c = 0; c < stride; ++c) input[target + c] = f32(rgba[source + group[c]] / 255);
        }
      }
      const shape = [1, tileHeight, tileWidth, stride];
      const feeds = { [inputNames[0]]: new Tensor("float32", input, shape) };
      if (sigmaMap) feeds[inputNames[1]] = sigmaMap;
      const results = await session.run(feeds);
      const denoised = results[outputName].data;
      // Keep the tile's inner part, cut at the unpadded image's border.
      for (let y = keepTop; y < Math.min(keepBottom, height); ++y) {
        for (let x = keepLeft; x < Math.min(keepRight, width); ++x) {
          const from = ((y - rowStart) * tileWidth + (x - colStart)) * stride;
          const to = (y * width + x) * 4;
          for (let c = 0; c < stride; ++c) output[to + group[c]] = toByte(denoised[from + c]);
        }
      }
      results[outputName].dispose?.();
      done += 1;
      onProgress(done, plan.total);
      // Let the page repaint (progress bar) and react (Cancel) between tiles.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  if (image.channels === 1) {
    for (let i = 0; i < output.length; i += 4) output[i + 1] = output[i + 2] = output[i];
  }
  for (let i = 3; i < output.length; i += 4) output[i] = 255;
  return { rgba: output, plan };
}
